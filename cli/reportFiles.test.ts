import { reportPaths } from './reportFiles.js';

describe('reportPaths', () => {
  it('always writes JSON plus a readable file named after FILE', () => {
    expect(reportPaths('/r/board.md', undefined)).toEqual({ json: '/r/board.json', readable: '/r/board.md', kind: 'markdown' });
    expect(reportPaths('/r/board.json', undefined)).toEqual({ json: '/r/board.json', readable: '/r/board.md', kind: 'markdown' });
    expect(reportPaths('/r/board', undefined)).toEqual({ json: '/r/board.json', readable: '/r/board.md', kind: 'markdown' });
    expect(reportPaths('/r/board.HTML', undefined)).toEqual({ json: '/r/board.json', readable: '/r/board.HTML', kind: 'html' });
  });

  it('puts the USB path into the names when several boards are flashed', () => {
    expect(reportPaths('/r/lot42.md', '3-1.4')).toEqual({ json: '/r/lot42-3-1.4.json', readable: '/r/lot42-3-1.4.md', kind: 'markdown' });
    expect(reportPaths('/r/lot42.md', 'a/b:c')).toMatchObject({ json: '/r/lot42-a_b_c.json' });
  });
});
