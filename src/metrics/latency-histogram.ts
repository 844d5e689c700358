import type { Histogram, Registry } from 'prom-client';
import { LATENCY_BUCKETS, type RequestMetrics } from './request-metrics.js';

/**
 * The request latency histogram, read from the route meters' own bucket arrays at scrape
 * time. prom-client's Histogram cannot be loaded with counts made elsewhere, and observing
 * into it costs about a microsecond per request (label hashing, an object per call) — a
 * few percent of a cached photo. So this is a collector of its own: it gives the registry
 * the same shape a Histogram's `get()` does, and the registry writes it like any other.
 */
export function registerLatencyHistogram(registry: Registry, name: string, help: string, requests: RequestMetrics): void {
  const collector = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    get: () => Promise.resolve({ name, help, type: 'histogram', aggregator: 'sum', values: valuesOf(name, requests) }),
    reset: () => undefined,
  };
  // The registry needs only name, get() and reset(); its type names prom-client's own classes.
  registry.registerMetric(collector as unknown as Histogram);
}

interface Sample {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

function valuesOf(name: string, requests: RequestMetrics): Sample[] {
  const samples: Sample[] = [];
  for (const meter of requests.all()) {
    const labels = { door: meter.door, route: meter.route };
    let count = 0;
    LATENCY_BUCKETS.forEach((bound, bucket) => {
      count += meter.buckets[bucket]!;
      samples.push({ metricName: `${name}_bucket`, labels: { ...labels, le: bound }, value: count });
    });
    count += meter.buckets[LATENCY_BUCKETS.length]!;
    samples.push(
      { metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: count },
      { metricName: `${name}_sum`, labels, value: meter.seconds },
      { metricName: `${name}_count`, labels, value: count },
    );
  }
  return samples;
}
