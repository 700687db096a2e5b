"""N concurrent completions through the official openai AsyncOpenAI client.

Usage: python openai_load.py BASE_URL [N]; prints {"requests", "ok", "wall_ms"}.
"""
import asyncio
import json
import sys
import time

import openai


async def main(base: str, n: int) -> None:
    client = openai.AsyncOpenAI(base_url=base, api_key="sk-bench", max_retries=0)

    async def one(i: int) -> bool:
        try:
            await client.chat.completions.create(
                model="mock", messages=[{"role": "user", "content": f"request {i}"}]
            )
            return True
        except Exception:  # noqa: BLE001 - counted as a failure
            return False

    started = time.perf_counter()
    results = await asyncio.gather(*(one(i) for i in range(n)))
    wall = (time.perf_counter() - started) * 1000
    print(json.dumps({"requests": n, "ok": sum(results), "wall_ms": round(wall, 1)}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1000))
