// Every dfu-desk command, in the order `dfu-desk --help` lists them.
import type { Command } from '../context.js';
import { eraseCommand } from './erase.js';
import { flashCommand } from './flash.js';
import { imageCommand } from './image.js';
import { infoCommand } from './info.js';
import { layoutCommand } from './layout.js';
import { leaveCommand } from './leave.js';
import { listCommand } from './list.js';
import { optionsCommand } from './options.js';
import { readCommand } from './read.js';
import { unprotectCommand } from './unprotect.js';
import { verifyCommand } from './verify.js';

export const commands: readonly Command[] = [
  listCommand,
  infoCommand,
  flashCommand,
  verifyCommand,
  readCommand,
  eraseCommand,
  optionsCommand,
  unprotectCommand,
  leaveCommand,
  imageCommand,
  layoutCommand,
];
