// Every dfu-desk command, in the order `dfu-desk --help` lists them.
import type { Command } from '../context.js';
import { layoutCommand } from './layout.js';

export const commands: readonly Command[] = [layoutCommand];
