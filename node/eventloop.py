"""The event loop the node runs on: uvloop when it is installed (a dependency on Linux and macOS), else
asyncio's own. libuv's transports and callbacks are cheaper than asyncio's pure-Python ones; the inbox
benchmark receives 10-20 % more activities per second on it (README, "Performance")."""

import asyncio


def new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # Windows, or a platform without a wheel: asyncio's loop does the same work
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()
