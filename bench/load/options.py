"""The options of a load run that every benchmark driving the shop's customers takes."""

import argparse


def add_shop_options(
    parser: argparse.ArgumentParser, *, customers: int, duration: int, books: int, stocked: int
) -> None:
    """How many customers, for how long, how they pace themselves, and the catalog they
    shop in (bench.load.shop grows the demo catalog to `books`, `stocked` of them in stock)."""
    parser.add_argument(
        "--customers", type=int, default=customers, help="simulated customers (one staff user is added)"
    )
    parser.add_argument("--duration", type=int, default=duration, help="seconds of load")
    parser.add_argument("--spawn-rate", type=float, default=8, help="customers started per second")
    parser.add_argument("--think-min", type=float, default=0.5, help="seconds a customer waits between tasks")
    parser.add_argument("--think-max", type=float, default=1.5)
    parser.add_argument("--books", type=int, default=books, help="synthetic books added to the demo catalog")
    parser.add_argument("--stocked", type=int, default=stocked, help="books in stock, which customers buy")
