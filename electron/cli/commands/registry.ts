// Every dfu-desk command, in the order `dfu-desk --help` lists them.
import type { Command } from '../context.js';
import { flashCommand } from './flash.js';
import { imageCommand } from './image.js';
import { layoutCommand } from './layout.js';
import { listCommand } from './list.js';

export const commands: readonly Command[] = [listCommand, flashCommand, imageCommand, layoutCommand];
