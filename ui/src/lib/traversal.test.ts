import { describe, expect, it } from 'vitest';
import { deckyOrder, layoutTraversal, splitPath, thinHops, type Hop } from './traversal';

const h = (t: string, decky: string, service = 'ssh'): Hop => ({ timestamp: `2026-04-04T10:${t}Z`, decky, service, event_type: 'connect' });

describe('traversal layout', () => {
  const hops = [h('02:00', 'b'), h('00:00', 'a'), h('01:00', 'a'), h('03:00', 'decnet-sniffer'), h('04:00', 'c'), h('05:00', 'a')];

  it('orders lanes by first contact and skips pseudo-deckies', () => {
    expect(deckyOrder(hops)).toEqual(['a', 'b', 'c']);
    expect(deckyOrder(hops, ['c', 'a'])).toEqual(['c', 'a', 'b']);
  });

  it('places hops by time on their decky lane', () => {
    const l = layoutTraversal(hops, [], { width: 1000, padLeft: 100, padRight: 0, laneHeight: 40, padTop: 0 });
    expect(l.lanes.map((x) => [x.decky, x.y, x.hops])).toEqual([
      ['a', 20, 3],
      ['b', 60, 1],
      ['c', 100, 1],
    ]);
    expect(l.points.map((p) => p.x)).toEqual([100, 280, 460, 820, 1000]);
    expect(l.points.map((p) => p.hop.decky)).toEqual(['a', 'a', 'b', 'c', 'a']);
    expect(l.points.map((p) => p.transition)).toEqual([true, false, true, true, true]);
    expect(l.transitions).toBe(3);
    expect(l.d.startsWith('M100,20 L280,20 C370,20 370,60 460,60')).toBe(true);
  });

  it('spreads simultaneous hops evenly and handles one hop', () => {
    const same = [h('00:00', 'a'), h('00:00', 'b')];
    const l = layoutTraversal(same, [], { width: 300, padLeft: 100, padRight: 0 });
    expect(l.points.map((p) => p.x)).toEqual([100, 300]);
    const one = layoutTraversal([h('00:00', 'a')], [], { width: 300, padLeft: 100, padRight: 0 });
    expect(one.points[0].x).toBe(200);
    expect(one.d).toMatch(/^M200,\d+(\.\d)? L200,/);
  });

  it('is empty without hops', () => {
    const l = layoutTraversal([]);
    expect(l.points).toEqual([]);
    expect(l.d).toBe('');
  });
});

describe('thinHops', () => {
  it('keeps every decky change within budget', () => {
    const many: Hop[] = [];
    for (let i = 0; i < 100; i++) many.push(h(`${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}`, i < 50 ? 'a' : 'b'));
    const t = thinHops(many, 10);
    expect(t.length).toBe(10);
    expect(t[0]).toBe(many[0]);
    expect(t[t.length - 1]).toBe(many[99]);
    expect(t).toContain(many[49]);
    expect(t).toContain(many[50]);
  });
  it('returns input under the budget', () => {
    const few = [h('00:00', 'a')];
    expect(thinHops(few, 5)).toBe(few);
  });
});

describe('splitPath', () => {
  it('splits on arrows', () => {
    expect(splitPath('decky-01 → decky-02 → decky-03')).toEqual(['decky-01', 'decky-02', 'decky-03']);
    expect(splitPath(null)).toEqual([]);
  });
});
