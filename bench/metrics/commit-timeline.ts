/**
 * When transactions completed, at a resolution fine enough to time an outage: every gap between
 * consecutive commits longer than a threshold, and commits per short tick. A worker keeps its own;
 * the coordinator intersects the workers' gaps, since the whole client saw no commit only where
 * every worker saw none.
 */

/** A time with no commit: from the last commit before it to the first after (null: none came). */
export interface CommitGap {
  fromEpochMs: number;
  toEpochMs: number | null;
}

export interface CommitTimelineReport {
  gapMs: number;
  tickMs: number;
  /** Gaps of at least gapMs, in time order. */
  gaps: CommitGap[];
  /** Commits per tick from the phase start (tick i covers [start + i*tickMs, start + (i+1)*tickMs)). */
  ticks: number[];
  /** More gaps than the bound: the shortest after it were not kept. */
  truncated: boolean;
}

/** At most this many gaps per worker and phase (a slow, steady workload makes many short ones). */
const MAX_GAPS = 20_000;

/** One worker's commit timeline over one phase. Cheap enough for every commit: a compare and an add. */
export class CommitTimeline {
  private startEpochMs = 0;
  private lastOkEpochMs = 0;
  private gaps: CommitGap[] = [];
  private ticks: number[] = [];
  private truncated = false;

  constructor(
    readonly gapMs: number,
    readonly tickMs: number,
  ) {}

  startPhase(startEpochMs: number): void {
    this.startEpochMs = startEpochMs;
    this.lastOkEpochMs = startEpochMs;
    this.gaps = [];
    this.ticks = [];
    this.truncated = false;
  }

  committed(nowEpochMs: number): void {
    if (nowEpochMs - this.lastOkEpochMs >= this.gapMs) {
      if (this.gaps.length < MAX_GAPS)
        this.gaps.push({ fromEpochMs: this.lastOkEpochMs, toEpochMs: nowEpochMs });
      else this.truncated = true;
    }
    this.lastOkEpochMs = Math.max(this.lastOkEpochMs, nowEpochMs);
    const tick = Math.floor((nowEpochMs - this.startEpochMs) / this.tickMs);
    if (tick < 0) return;
    while (this.ticks.length <= tick) this.ticks.push(0);
    this.ticks[tick] = (this.ticks[tick] ?? 0) + 1;
  }

  /** The phase's timeline; a gap still open at `endEpochMs` is reported with no end. */
  report(endEpochMs: number): CommitTimelineReport {
    const gaps = [...this.gaps];
    if (endEpochMs - this.lastOkEpochMs >= this.gapMs)
      gaps.push({ fromEpochMs: this.lastOkEpochMs, toEpochMs: null });
    return {
      gapMs: this.gapMs,
      tickMs: this.tickMs,
      gaps,
      ticks: [...this.ticks],
      truncated: this.truncated,
    };
  }
}

const endOf = (gap: CommitGap) => gap.toEpochMs ?? Number.POSITIVE_INFINITY;

/** Where two sorted lists of gaps overlap: the times neither saw a commit. */
function intersectTwo(a: CommitGap[], b: CommitGap[]): CommitGap[] {
  const out: CommitGap[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as CommitGap;
    const y = b[j] as CommitGap;
    const from = Math.max(x.fromEpochMs, y.fromEpochMs);
    const to = Math.min(endOf(x), endOf(y));
    if (from < to) out.push({ fromEpochMs: from, toEpochMs: Number.isFinite(to) ? to : null });
    if (endOf(x) < endOf(y)) i++;
    else j++;
  }
  return out;
}

/**
 * The whole client's timeline from its workers': gaps where no worker committed (at least
 * `minGapMs` long), and commits per tick summed. Exact for any gap of the workers' threshold or
 * more: a time no worker committed lies inside a gap of every worker.
 */
export function mergeCommitTimelines(
  reports: CommitTimelineReport[],
  minGapMs?: number,
): CommitTimelineReport | null {
  const first = reports[0];
  if (!first) return null;
  let gaps = first.gaps;
  for (const report of reports.slice(1)) gaps = intersectTwo(gaps, report.gaps);
  const gapMs = minGapMs ?? first.gapMs;
  const ticks: number[] = [];
  for (const report of reports) {
    report.ticks.forEach((count, i) => {
      ticks[i] = (ticks[i] ?? 0) + count;
    });
  }
  for (let i = 0; i < ticks.length; i++) ticks[i] ??= 0;
  return {
    gapMs,
    tickMs: first.tickMs,
    gaps: gaps.filter((gap) => endOf(gap) - gap.fromEpochMs >= gapMs),
    ticks,
    truncated: reports.some((r) => r.truncated),
  };
}
