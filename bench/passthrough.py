"""The baseline: a bare aiokafka consume -> produce copy of one topic onto another, one process.

    python -m bench.passthrough INPUT OUTPUT --group G [--transactional] [--echoes N]

It reads like the router's fan-out does (read_committed, batches of up to 500, a record
keeps its partition) and writes with acks=all and idempotence. Without --transactional the
offsets are committed after the batch is acknowledged (at least once); with it, each batch
and its offsets are one Kafka transaction (exactly once, like the router). No decoding, no
routing, no logging per record: the floor under what any consume -> produce service costs.

With --echoes N it also writes, for every record it copies, N copies back onto the partition
of INPUT the record came from (marked by a header), which it then reads and skips: the
records the router moves per complaint (with --echoes=1: a filing read, its ComplaintRouted
appended to complaints.events and read back, one copy to an agency topic), written as the
router writes them (shared/adapters/kafka/batches.py), without deciding anything.
"""

import argparse
import asyncio
import contextlib
import signal
import sys

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import ConsumerRecord

from shared.adapters.kafka.batches import Write, send_all
from shared.adapters.kafka.clients import KafkaConnection, start
from shared.config import Settings

Batches = dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
ECHO = "pintu-bench-echo"  # header of a copy written back onto the input: read, not copied
ECHO_HEADERS = ((ECHO, b"1"),)


def next_offsets(batches: Batches) -> dict[TopicPartition, int]:
    return {tp: records[-1].offset + 1 for tp, records in batches.items() if records}


def _with_echoes(batches: Batches, source: str, target: str, echoes: int) -> list[Write]:
    """Each record's copy onto `target` and its echoes back onto its partition of `source`,
    written as the router writes its rounds (whole batches); echoes read back are skipped."""
    writes = []
    for tp, records in batches.items():
        for r in records:
            if r.headers:  # an echo of ours, read back
                continue
            writes.append(Write(target, r.key, r.value, tp.partition))
            writes += [Write(source, r.key, r.value, tp.partition, ECHO_HEADERS)] * echoes
    return writes


async def copy(
    connection: KafkaConnection,
    source: str,
    target: str,
    group: str,
    transactional: bool,
    echoes: int = 0,
    round_records: int = 500,
) -> None:
    consumer = AIOKafkaConsumer(
        source,
        **connection.client_kwargs(),
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    producer = AIOKafkaProducer(
        **connection.client_kwargs(),
        acks="all",
        enable_idempotence=True,
        transactional_id=f"{group}-producer" if transactional else None,
    )
    await start(producer, connection)
    await start(consumer, connection)
    print(f"passthrough {source} -> {target} running", flush=True)
    try:
        while True:
            batches: Batches = await consumer.getmany(timeout_ms=500, max_records=round_records)
            if not batches:
                continue
            if transactional:
                async with producer.transaction():
                    if echoes:
                        await send_all(producer, _with_echoes(batches, source, target, echoes))
                    else:
                        for tp, records in batches.items():
                            for r in records:
                                await producer.send(
                                    target, r.value, key=r.key, partition=tp.partition
                                )
                    await producer.send_offsets_to_transaction(next_offsets(batches), group)
            else:
                sent = [
                    await producer.send(target, r.value, key=r.key, partition=tp.partition)
                    for tp, records in batches.items()
                    for r in records
                ]
                await asyncio.gather(*sent)
                await consumer.commit(next_offsets(batches))
    finally:
        await consumer.stop()
        await producer.stop()


async def main_async(args: argparse.Namespace) -> None:
    connection = KafkaConnection.from_settings(Settings())
    task = asyncio.ensure_future(
        copy(
            connection,
            args.source,
            args.target,
            args.group,
            args.transactional,
            args.echoes,
            args.round_records,
        )
    )
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.passthrough", description=__doc__)
    parser.add_argument("source")
    parser.add_argument("target")
    parser.add_argument("--group", required=True)
    parser.add_argument("--transactional", action="store_true")
    parser.add_argument(
        "--echoes",
        type=int,
        default=0,
        help="copies written back onto INPUT (needs --transactional)",
    )
    parser.add_argument(
        "--round-records", type=int, default=500, help="records read per poll (default 500)"
    )
    args = parser.parse_args(argv)
    if args.echoes and not args.transactional:
        parser.error("--echoes needs --transactional")
    asyncio.run(main_async(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
