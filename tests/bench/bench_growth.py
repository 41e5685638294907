"""Benchmark 5, cost growth: benchmarks 1 and 2 at 1x and 10x load, to see how the cost grows.

- Inbox: 1,000 cached remote actors and 10,000 stored activities and objects, then 10x both; AS2-context
  activities (the JSON-LD fast path) so that what changes is storage, not compaction. Figure: the
  throughput ratio against the bare endpoint (measured in the same run at each size), 10x / 1x.
- Fan-out: 10,000 followers on 1,000 shared inboxes, then 100,000 on 10,000. Figure: wall time per
  signature floor (each measured in the same run), 10x / 1x.
Linear or better means a figure that stays flat: PASS when the 10x figure is within 25% of the 1x one
(the machine is noisy). Run: `python -m tests.bench.bench_growth`.
"""

import asyncio

from node.eventloop import new_event_loop
from tests.bench import bench_fanout, bench_inbox
from tests.bench.harness import heading, info, result, workdir

TOLERANCE = 1.25


async def main() -> None:
    heading("5. Cost growth: inbox and fan-out at 1x and 10x load")
    shapes = ("as2",)
    with workdir("bench-growth-") as root:
        inbox = {}
        for scale in (1, 10):
            inbox[scale] = await bench_inbox.measure(root / f"inbox-{scale}x", actors=1_000 * scale,
                                                     stored=10_000 * scale, shapes=shapes)
            bench_inbox.report(inbox[scale], shapes, bench=f"growth inbox {scale}x")
        fanout = {}
        proc, sinks_url, ports = bench_fanout.start_sinks(root)
        with proc:
            await proc.wait_http(f"{sinks_url}/stats")
            for scale in (1, 10):
                fanout[scale] = await bench_fanout.measure(root, followers=10_000 * scale, inboxes=1_000 * scale,
                                                           sinks_url=sinks_url, ports=ports)
                bench_fanout.report(fanout[scale], bench=f"growth fanout {scale}x")
    one, ten = (inbox[s]["as2"]["rate"] / inbox[s]["baseline"] for s in (1, 10))
    info(f"inbox: {inbox[1]['as2']['rate']:.0f} -> {inbox[10]['as2']['rate']:.0f} activities/s"
         f" with 10x actors and stored activities")
    result("growth inbox", f"cost per activity x{one / ten:.2f} at 10x (ratio to bare {one:.2f} -> {ten:.2f})",
           "the 1x run", one / ten, f"<= {TOLERANCE} (flat)", one / ten <= TOLERANCE)
    one, ten = (fanout[s]["wall"] / fanout[s]["floor"] for s in (1, 10))
    info(f"fan-out: {fanout[1]['wall']:.2f}s -> {fanout[10]['wall']:.2f}s for 10x followers and inboxes"
         f" (x{fanout[10]['wall'] / fanout[1]['wall']:.1f}; linear is x10)")
    result("growth fanout", f"time per signature floor x{ten / one:.2f} at 10x ({one:.2f} -> {ten:.2f})",
           "the 1x run", ten / one, f"<= {TOLERANCE} (linear)", ten / one <= TOLERANCE)


if __name__ == "__main__":
    with asyncio.Runner(loop_factory=new_event_loop) as runner:  # the node's side runs here, on its loop
        runner.run(main())
