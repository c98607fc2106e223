"""The bus never waits on a subscriber: each has its own queue and worker."""

from __future__ import annotations

import asyncio
import time

from core.bus import InProcessBus


async def test_a_slow_subscriber_delays_only_itself():
    bus = InProcessBus()
    fast: list[int] = []
    slow: list[int] = []

    async def sleepy(n: int) -> None:
        await asyncio.sleep(0.2)
        slow.append(n)

    bus.subscribe("t", sleepy, name="slow")
    bus.subscribe("t", fast.append, name="fast")
    started = time.perf_counter()
    for n in range(4):
        await bus.publish("t", n)
    assert time.perf_counter() - started < 0.05  # publishing did not wait for 4 x 0.2 s
    await asyncio.sleep(0.05)
    assert fast == [0, 1, 2, 3] and slow == []  # the fast one is done; the slow one is not
    await bus.drain()
    assert slow == [0, 1, 2, 3]  # in order, nothing lost
    await bus.stop()


async def test_a_failing_subscriber_is_logged_and_isolated(caplog):
    bus = InProcessBus()
    got: list[int] = []

    def broken(n: int) -> None:
        raise RuntimeError(f"bug on {n}")

    bus.subscribe("t", broken, name="broken")
    bus.subscribe("t", got.append, name="ok")
    for n in range(3):
        await bus.publish("t", n)
    await bus.drain()
    assert got == [0, 1, 2]
    assert bus.stats.errors == 3
    broken_sub = next(s for s in bus.subscribers() if s.name.endswith("broken"))
    assert broken_sub.stats.errors == 3 and broken_sub.task is not None
    assert not broken_sub.task.done()  # its worker lives on
    await bus.stop()


async def test_a_full_queue_drops_for_that_subscriber_only_and_counts_it():
    bus = InProcessBus()
    gate = asyncio.Event()
    held: list[int] = []
    free: list[int] = []

    async def stuck(n: int) -> None:
        await gate.wait()
        held.append(n)

    bus.subscribe("t", stuck, name="stuck", maxsize=2)
    bus.subscribe("t", free.append, name="free")
    await asyncio.sleep(0)
    for n in range(6):
        bus.publish_nowait("t", n)
        await asyncio.sleep(0)
    gate.set()
    await bus.drain()
    assert free == [0, 1, 2, 3, 4, 5]
    assert len(held) < 6 and bus.stats.dropped == 6 - len(held)
    await bus.stop()


async def test_unsubscribe_stops_delivery():
    bus = InProcessBus()
    got: list[int] = []
    unsubscribe = bus.subscribe("t", got.append)
    await bus.publish("t", 1)
    await bus.drain()
    unsubscribe()
    await bus.publish("t", 2)
    await bus.drain()
    assert got == [1]
    await bus.stop()


async def test_a_batch_subscriber_gets_what_queued_meanwhile_in_order_up_to_its_size():
    bus = InProcessBus()
    calls: list[list[int]] = []
    one_by_one: list[int] = []
    bus.subscribe("t", calls.append, name="batched", batch=4)
    bus.subscribe("t", one_by_one.append, name="single")
    await asyncio.sleep(0)
    bus.publish_nowait("t", 0)
    await bus.drain()  # a lone event is handled alone, at once
    for n in range(1, 11):  # a burst: published before the worker runs
        bus.publish_nowait("t", n)
    await bus.drain()
    assert calls == [[0], [1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]
    assert one_by_one == list(range(11))
    assert bus.stats.handled == 22 and bus.stats.dropped == 0
    await bus.stop()


async def test_a_lossless_subscriber_never_drops_the_publisher_waits_instead():
    bus = InProcessBus()
    gate = asyncio.Event()
    got: list[int] = []

    async def slow(batch: list[int]) -> None:
        await gate.wait()
        got.extend(batch)

    bus.subscribe("t", slow, name="engine", maxsize=4, batch=2, lossless=True)
    await asyncio.sleep(0)
    assert bus.publish_nowait("t", 0) and bus.publish_many("t", [1, 2])
    assert not bus.publish_many("t", [3, 4, 5])  # over its size: taken, but "wait"
    assert bus.full("t")
    publisher = asyncio.create_task(bus.publish("t", 6))  # waits for room
    await asyncio.sleep(0.01)
    assert not publisher.done()
    gate.set()
    await asyncio.wait_for(publisher, 1)
    await bus.drain()
    assert got == list(range(7)) and bus.stats.dropped == 0
    await bus.stop()
