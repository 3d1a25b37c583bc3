import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { MigrationRun } from '../api-types';
import { count } from '../format';
import { TableBox, Time } from './common';

const HEIGHT = 220;

/** A uPlot chart in a box that follows its container's width. */
const useChart = (
  options: () => Omit<uPlot.Options, 'width' | 'height'>,
  data: uPlot.AlignedData,
  key: string,
) => {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const plot = new uPlot(
      { ...options(), width: Math.max(280, element.clientWidth), height: HEIGHT },
      data,
      element,
    );
    chart.current = plot;
    const resized = new ResizeObserver(() =>
      plot.setSize({ width: Math.max(280, element.clientWidth), height: HEIGHT }),
    );
    resized.observe(element);
    return () => {
      resized.disconnect();
      plot.destroy();
      chart.current = null;
    };
  }, [key]);
  useEffect(() => {
    chart.current?.setData(data);
  }, [data]);
  return box;
};

const RUN_PARTS = [
  ['migrated', '#1a7f37'],
  ['unchanged', '#0969da'],
  ['skipped', '#9a6700'],
  ['rejected', '#cf222e'],
] as const;

/**
 * Each run's keys by outcome, as stacked bars (oldest on the left), with the same numbers in a
 * table beside it for those who do not read charts.
 */
export const RunsChart = ({ runs }: { runs: MigrationRun[] }) => {
  const ordered = [...runs].reverse();
  const x = ordered.map((_, i) => i + 1);
  // Each series is drawn from zero to the sum of itself and those stacked under it, widest first.
  const stacked = RUN_PARTS.map((_, part) =>
    ordered.map((run) =>
      RUN_PARTS.slice(0, RUN_PARTS.length - part).reduce(
        (sum, [name]) => sum + run.counts[name],
        0,
      ),
    ),
  );
  const raw = [...RUN_PARTS].reverse().map(([name]) => ordered.map((run) => run.counts[name]));
  const data: uPlot.AlignedData = [x, ...stacked];
  const box = useChart(
    () => ({
      title: 'Keys of each run by outcome',
      scales: { x: { time: false, range: (_u, min, max) => [min - 0.6, max + 0.6] } },
      axes: [
        {
          label: 'run',
          values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? `#${t}` : '')),
        },
        { label: 'keys', size: 70, values: (_u, ticks) => ticks.map((t) => count(t)) },
      ],
      series: [
        { label: 'run' },
        ...[...RUN_PARTS].reverse().map(([name, color], i) => ({
          label: name,
          fill: color,
          stroke: color,
          paths: uPlot.paths.bars?.({ size: [0.6, 60] }),
          points: { show: false },
          value: (_u: uPlot, _v: number | null, _s: number, index: number | null) =>
            index === null ? '–' : count(raw[i][index]),
        })),
      ],
      legend: { live: true },
    }),
    data,
    `runs-${ordered.length}`,
  );
  if (runs.length === 0) return <p class="muted">No run yet.</p>;
  return (
    <figure>
      <div ref={box} class="chart" aria-hidden="true" />
      <figcaption class="visually-hidden">The runs table below has the chart's numbers.</figcaption>
      <TableBox label="Runs by outcome">
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Started</th>
            <th scope="col">Status</th>
            {RUN_PARTS.map(([name]) => (
              <th scope="col" class="num" key={name}>
                {name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {ordered.map((run, i) => (
            <tr key={run.id}>
              <td>#{i + 1}</td>
              <td>
                <Time at={run.startedAt} />
              </td>
              <td>{run.status}</td>
              {RUN_PARTS.map(([name]) => (
                <td class="num" key={name}>
                  {count(run.counts[name])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </TableBox>
    </figure>
  );
};

/** How far the running operation got over time (seconds since its first report). */
export const ProgressChart = ({
  samples,
  unit,
}: {
  samples: { at: number; done: number }[];
  unit: string;
}) => {
  const first = samples[0]?.at ?? 0;
  const data: uPlot.AlignedData = [
    samples.map((s) => (s.at - first) / 1000),
    samples.map((s) => s.done),
  ];
  const box = useChart(
    () => ({
      title: 'Progress over time',
      scales: { x: { time: false } },
      axes: [
        { label: 'seconds' },
        { label: unit, size: 70, values: (_u, ticks) => ticks.map((t) => count(t)) },
      ],
      series: [
        { label: 's' },
        { label: unit, stroke: '#0969da', width: 2, value: (_u, v) => count(v) },
      ],
    }),
    data,
    unit,
  );
  return <div ref={box} class="chart" aria-hidden="true" />;
};
