"""The notifier's bare twin, the baseline of bench/notifier.py: one httpx.AsyncClient posting
the given requests to one URL in turn, as the notifier's task for one endpoint does, with
nothing read from Kafka, nothing signed, nothing recorded.

    .venv/bin/python -m bench.bare_poster URL REQUESTS.jsonl

Each line of REQUESTS.jsonl is {"headers": {...}, "body": "..."}. Prints one JSON line: the
requests posted, the 2xx answers, the seconds and the CPU seconds the posting took.
"""

import asyncio
import json
import sys
import time
from pathlib import Path

import httpx


async def post_all(url: str, requests: list[dict[str, object]]) -> int:
    accepted = 0
    async with httpx.AsyncClient(timeout=10) as client:
        for request in requests:
            headers = request["headers"]
            body = request["body"]
            assert isinstance(headers, dict) and isinstance(body, str)
            response = await client.post(url, content=body.encode(), headers=headers)
            accepted += response.is_success
    return accepted


def main() -> int:
    url, path = sys.argv[1], Path(sys.argv[2])
    requests = [json.loads(line) for line in path.read_text().splitlines() if line]
    cpu, began = time.process_time(), time.perf_counter()
    accepted = asyncio.run(post_all(url, requests))
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    print(
        json.dumps({"posted": len(requests), "accepted": accepted, "seconds": seconds, "cpu": cpu})
    )
    return 0 if accepted == len(requests) else 1


if __name__ == "__main__":
    sys.exit(main())
