"""Scenario generator for the model-selection benchmark: transaction exports with planted segments.

Each scenario draws ``k`` segments in a five-dimensional space of buying
behaviour (orders in the window, items per order, price level, days since the
last order, days between the first and the last order) and turns every customer
into transaction lines, so the engine sees what it sees on a real export: counts,
money, dates, returns, whales, single-purchase customers. The latent-space
generator shares nothing with ``engine.synthetic`` (the bundled demo), which is
included as a second family: the benchmark must not reward tuning to one generator.

Knobs (all varied by :data:`SCENARIOS`):

* ``k`` (3-8) and ``n_customers`` (3,000-20,000);
* ``separation``: distance between segment centres in units of the
  within-segment spread (large = well separated, small = overlapping);
* ``whales``: share of customers who buy 20-100x more items than their segment;
* ``single_share``: share of customers forced to a single purchase whatever
  their segment (one-purchase-heavy bases);
* ``imbalance``: Dirichlet concentration of segment sizes (small = uneven);
* ``shape``: ``"three_table"`` (Customers / Products / Transactions, one product
  per transaction id, signup dates) or ``"online_retail"`` (one invoice of
  several lines, StockCode, UnitPrice, Country, no signup date);
  ``"demo_generator"`` uses the bundled sample's own generator instead
  (``engine.synthetic``, five segments defined by ranges), as a second family.
* ``informative``: how many of the five dimensions separate the segments.

The truth file lists every customer who has at least one line, with its segment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

WINDOW_DAYS = 730
END = pd.Timestamp("2024-12-31")
N_PRODUCTS = 400
DIMENSIONS = 5  # orders, basket, price, recency, span


@dataclass(frozen=True)
class Scenario:
    name: str
    k: int
    n_customers: int
    separation: float
    seed: int
    shape: str = "three_table"
    whales: float = 0.0
    single_share: float = 0.0
    imbalance: float = 8.0
    informative: int = DIMENSIONS  # dimensions on which segment centres differ (the rest are shared)


def _centres(rng: np.random.Generator, k: int, separation: float, informative: int) -> np.ndarray:
    """k points in [-1, 1]^5 scaled so the closest pair is about ``separation`` spreads apart.

    Drawn as the best of many random layouts (largest minimum distance), then
    scaled: the within-segment spread is 1 on every dimension. Only
    ``informative`` randomly chosen dimensions differ between segments.
    """
    if k == 1:
        return np.zeros((1, DIMENSIONS))
    best, best_gap = None, -1.0
    mask = np.zeros(DIMENSIONS)
    mask[rng.choice(DIMENSIONS, size=informative, replace=False)] = 1.0
    for _ in range(200):
        points = rng.uniform(-1.0, 1.0, size=(k, DIMENSIONS)) * mask
        gaps = np.linalg.norm(points[:, None] - points[None], axis=-1)[np.triu_indices(k, 1)]
        if gaps.min() > best_gap:
            best, best_gap = points, gaps.min()
    return best * (separation / best_gap)


def _to_behaviour(latent: np.ndarray) -> dict[str, np.ndarray]:
    """Map standardised latent positions to buying parameters on realistic scales.

    One latent unit is about a factor 1.6 in orders, basket and price, so a
    separation of 3 puts neighbouring segments about 4x apart on one axis, or
    less on several at once.
    """
    z = latent
    return {
        "orders": np.exp(1.2 + 0.45 * z[:, 0]),  # mean orders in the window, median ~3.3
        "basket": np.exp(0.9 + 0.45 * z[:, 1]),  # items per order, median ~2.5
        "price": np.exp(3.0 + 0.5 * z[:, 2]),  # unit price, median ~20
        "recency": np.exp(4.3 + 0.55 * z[:, 3]),  # days since last order, median ~74
        "span": np.exp(5.0 + 0.45 * z[:, 4]),  # days from first to last order, median ~150
    }


def generate(s: Scenario, *, shared_seed: int | None = None, first_id: int = 0, id_width: int | None = None,
             first_line: int = 0) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The scenario's tables (name -> frame) and truth (CustomerID, segment).

    For a base too large to draw at once (``bench_build.py``'s million customers),
    draw it in parts: every part passes the same ``shared_seed`` (segment sizes,
    centres and the product list are drawn from it, so all parts share them), its
    own ``s.seed`` and ``s.n_customers``, the customer ids and transaction lines
    drawn before it (``first_id``, ``first_line``) and the id width of the whole base.
    """
    rng = np.random.default_rng(s.seed)
    shared = rng if shared_seed is None else np.random.default_rng(shared_seed)
    shares = shared.dirichlet(np.full(s.k, s.imbalance))
    shares = np.maximum(shares, 0.03)
    shares /= shares.sum()
    segment = rng.choice(s.k, size=s.n_customers, p=shares)
    centres = _centres(shared, s.k, s.separation, s.informative)
    latent = centres[segment] + rng.normal(0.0, 1.0, size=(s.n_customers, DIMENSIONS))
    b = _to_behaviour(latent)
    n = s.n_customers
    n_orders = np.maximum(1, rng.poisson(b["orders"]))
    single = rng.random(n) < s.single_share
    n_orders[single] = 1
    recency = np.clip(np.round(b["recency"]), 0, WINDOW_DAYS - 1).astype(int)
    span = np.where(n_orders > 1, np.round(b["span"]), 0).astype(int)
    span = np.minimum(span, WINDOW_DAYS - 1 - recency)
    basket = b["basket"].copy()
    whales = rng.random(n) < s.whales
    basket[whales] *= rng.uniform(20, 100, whales.sum())
    n_orders[whales] = np.maximum(n_orders[whales], 5)

    products = _products(shared)
    order_customer = np.repeat(np.arange(n), n_orders)
    first = np.r_[0, np.cumsum(n_orders)[:-1]]
    days_before_end = recency[order_customer] + rng.integers(0, span[order_customer] + 1)
    days_before_end[first] = recency  # the last order sets recency exactly
    last_index = first + n_orders - 1
    multi = n_orders > 1
    days_before_end[last_index[multi]] = (recency + span)[multi]  # the first order sets the span
    lines_per_order = 1 if s.shape == "three_table" else None
    if lines_per_order is None:
        lines = 1 + rng.poisson(np.clip(basket[order_customer] / 3, 0, 8))
    else:
        lines = np.ones(len(order_customer), dtype=int)
    line_order = np.repeat(np.arange(len(order_customer)), lines)
    line_customer = order_customer[line_order]
    qty = np.maximum(1, rng.poisson(basket[line_customer] / lines[line_order]))
    # price level: products ranked by price, each customer draws near its own level
    log_prices = np.log(products["price"].to_numpy())
    target = np.log(b["price"][line_customer]) + rng.normal(0.0, 0.25, len(line_customer))
    product = np.clip(np.searchsorted(np.sort(log_prices), target), 0, N_PRODUCTS - 1)
    product = np.argsort(log_prices)[product]
    seconds = rng.integers(8 * 3600, 20 * 3600, len(order_customer))[line_order]
    stamp = END - pd.to_timedelta(days_before_end[line_order], unit="D") + pd.to_timedelta(seconds, unit="s")
    price = products["price"].to_numpy()[product]
    returned = rng.random(len(line_customer)) < 0.01
    width = id_width or len(str(n))
    customer_ids = np.array([f"{first_id + i + 1:0{width}d}" for i in range(n)], dtype=object)
    if s.shape == "three_table":
        tables = _three_table(rng, customer_ids, line_customer, product, qty, price, stamp, returned,
                              products, recency, span, first_line)
    else:
        tables = _online_retail(rng, customer_ids, line_order, line_customer, product, qty, price, stamp, returned,
                                products, n)
    truth = pd.DataFrame({"CustomerID": customer_ids, "segment": segment})
    return tables, truth


def _products(rng: np.random.Generator) -> pd.DataFrame:
    price = np.round(np.exp(rng.uniform(np.log(1.0), np.log(900.0), N_PRODUCTS)), 2)
    categories = np.array(["Home", "Garden", "Toys", "Books", "Kitchen", "Gifts"])
    return pd.DataFrame({"product": [f"P{i:04d}" for i in range(N_PRODUCTS)], "price": price,
                         "category": categories[rng.integers(0, len(categories), N_PRODUCTS)]})


def _three_table(rng, ids, line_customer, product, qty, price, stamp, returned, products, recency, span,
                 first_line=0):
    n_lines = len(line_customer)
    quantity = np.where(returned, -qty, qty)
    order = np.argsort(stamp.to_numpy(), kind="stable")
    tx = pd.DataFrame({
        "TransactionID": [f"T{first_line + i + 1:07d}" for i in range(n_lines)],
        "CustomerID": ids[line_customer][order],
        "ProductID": products["product"].to_numpy()[product][order],
        "TransactionDate": stamp.strftime("%Y-%m-%d %H:%M:%S").to_numpy()[order],
        "Quantity": quantity[order],
        "TotalValue": np.round(quantity * price, 2)[order],
        "Price": price[order],
    })
    first_day = recency + span
    signup = END - pd.to_timedelta(first_day + rng.integers(0, 60, len(ids)), unit="D")
    customers = pd.DataFrame({"CustomerID": ids, "CustomerName": [f"Customer {i}" for i in ids],
                              "Region": rng.choice(["Europe", "Asia", "North America", "South America"], len(ids)),
                              "SignupDate": signup.strftime("%Y-%m-%d")})
    products_table = pd.DataFrame({"ProductID": products["product"], "ProductName": products["product"],
                                   "Category": products["category"], "Price": products["price"]})
    return {"Customers.csv": customers, "Products.csv": products_table, "Transactions.csv": tx}


def _online_retail(rng, ids, line_order, line_customer, product, qty, price, stamp, returned, products, n):
    invoice = np.array([f"{536365 + i}" for i in range(line_order.max() + 1)], dtype=object)[line_order]
    invoice = np.where(returned, "C" + invoice, invoice)
    quantity = np.where(returned, -qty, qty)
    countries = np.array(["United Kingdom"] * 8 + ["France", "Germany", "EIRE", "Spain"])
    country = countries[rng.integers(0, len(countries), n)][line_customer]
    order = np.argsort(stamp.to_numpy(), kind="stable")
    frame = pd.DataFrame({
        "InvoiceNo": invoice[order],
        "StockCode": products["product"].to_numpy()[product][order],
        "Description": products["category"].to_numpy()[product][order],
        "Quantity": quantity[order],
        "InvoiceDate": stamp.strftime("%m/%d/%Y %H:%M").to_numpy()[order],
        "UnitPrice": price[order],
        "CustomerID": (12345 + np.arange(n))[line_customer][order],
        "Country": country[order],
    })
    return {"online_retail.csv": frame}


def write(s: Scenario, folder: Path) -> tuple[list[Path], pd.DataFrame]:
    """Write the scenario's CSV files under ``folder``; return the paths and the truth."""
    folder.mkdir(parents=True, exist_ok=True)
    if s.shape == "demo_generator":  # the bundled sample's own generator: another family of segments
        from engine.synthetic import make_sample, write_sample

        sample = make_sample(n_customers=s.n_customers, seed=s.seed)
        paths = write_sample(sample, folder, folder / "truth.csv")[:3]
        return paths, sample["truth"]
    tables, truth = generate(s)
    paths = []
    for name, frame in tables.items():
        path = folder / name
        frame.to_csv(path, index=False, lineterminator="\n")
        paths.append(path)
    if s.shape == "online_retail":
        truth = truth.assign(CustomerID=(12345 + np.arange(len(truth))).astype(str))
    return paths, truth


SCENARIOS: list[Scenario] = [
    # well separated (a plain k-means told k recovers ~0.95-0.99)
    Scenario("k3-sep9-3k", 3, 3_000, 9.0, 101),
    Scenario("k5-sep8-3k", 5, 3_000, 8.0, 102),
    Scenario("k6-sep9-10k", 6, 10_000, 9.0, 103),
    Scenario("k8-sep10-20k", 8, 20_000, 10.0, 104),
    Scenario("k4-sep8-3dims-5k", 4, 5_000, 8.0, 105, informative=3),
    # moderate overlap
    Scenario("k3-sep6-4k", 3, 4_000, 6.0, 106),
    Scenario("k4-sep6-8k", 4, 8_000, 6.0, 107),
    Scenario("k5-sep6-6k", 5, 6_000, 6.0, 108),
    Scenario("k7-sep6-20k", 7, 20_000, 6.0, 109),
    Scenario("k6-sep7-2dims-8k", 6, 8_000, 7.0, 110, informative=2),
    # heavy overlap
    Scenario("k3-sep4-5k", 3, 5_000, 4.0, 111),
    Scenario("k5-sep4.5-10k", 5, 10_000, 4.5, 112),
    Scenario("k8-sep5-15k", 8, 15_000, 5.0, 113),
    # whales, single-purchase-heavy, uneven sizes
    Scenario("k4-whales-6k", 4, 6_000, 7.0, 114, whales=0.003),
    Scenario("k6-whales-15k", 6, 15_000, 8.0, 115, whales=0.002),
    Scenario("k4-single-heavy-6k", 4, 6_000, 7.0, 116, single_share=0.5),
    Scenario("k5-single-heavy-10k", 5, 10_000, 9.0, 117, single_share=0.6),
    Scenario("k5-uneven-8k", 5, 8_000, 7.0, 118, imbalance=1.0),
    # the Online Retail shape (several lines per invoice, no signup dates)
    Scenario("k3-retail-4k", 3, 4_000, 8.0, 119, shape="online_retail"),
    Scenario("k5-retail-8k", 5, 8_000, 6.0, 120, shape="online_retail"),
    Scenario("k7-retail-12k", 7, 12_000, 8.0, 121, shape="online_retail"),
    Scenario("k8-retail-whales-20k", 8, 20_000, 9.0, 122, shape="online_retail", whales=0.002),
    # the bundled sample's generator (five segments defined by ranges, not by a latent space)
    Scenario("demo-generator-3k", 5, 3_000, 0.0, 11, shape="demo_generator"),
    Scenario("demo-generator-12k", 5, 12_000, 0.0, 12, shape="demo_generator"),
]
# No planted structure: one segment. The build must say the structure is weak.
WEAK_SCENARIOS: list[Scenario] = [
    Scenario("none-3k", 1, 3_000, 0.0, 201),
    Scenario("none-retail-5k", 1, 5_000, 0.0, 202, shape="online_retail"),
]
