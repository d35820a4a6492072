"""Targets for py.call in the tests (-p path=python/tests -p target=pycall_targets:NAME)."""
import asyncio
import time


def double(index):
    return index * 2


def answer():
    return 42


def boom(index):
    raise ValueError(f"boom at {index}")


def nap(index):
    time.sleep(0.001)
    return "ok"


async def anap(index):
    await asyncio.sleep(0.001)
    return index


async def aboom(index):
    await asyncio.sleep(0)
    raise RuntimeError("async boom")


def two_args(a, b):
    return a + b


NOT_CALLABLE = 3
