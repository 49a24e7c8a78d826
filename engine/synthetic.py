"""Synthetic e-commerce sample with planted customer segments.

The bundled demo data (``data/sample/``) and its truth labels
(``data/sample_truth.csv``) come from :func:`make_sample`. Knowing the true
segments lets tests check that the engine recovers them, and gives the demo a
story an analyst recognises. Everything is drawn from one numpy Generator, so
the same seed gives the same files byte for byte (``scripts/make_sample_data.py``).

The three tables have the shape of a common e-commerce export: Customers
(CustomerID, CustomerName, Region, SignupDate), Products (ProductID,
ProductName, Category, Price) and Transactions (TransactionID, CustomerID,
ProductID, TransactionDate, Quantity, TotalValue, Price). Each TransactionID is
one order of a single product, so an order's basket size is its Quantity.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

HISTORY_DAYS = 730  # about two years of transactions, ending at end_date
CATEGORIES = ("Books", "Electronics", "Home Decor", "Clothing", "Beauty")
PRODUCTS_PER_CATEGORY = 24
# Median price and spread (lognormal sigma) of the products in each category.
CATEGORY_PRICES = {
    "Books": (16.0, 0.45),
    "Electronics": (220.0, 0.6),
    "Home Decor": (35.0, 0.6),
    "Clothing": (45.0, 0.5),
    "Beauty": (22.0, 0.5),
}
PRODUCT_NOUNS = {
    "Books": ("Novel", "Cookbook", "Biography", "Atlas", "Guide", "Anthology"),
    "Electronics": ("Headphones", "Smartwatch", "Tablet", "Camera", "Speaker", "Monitor"),
    "Home Decor": ("Vase", "Lamp", "Rug", "Cushion", "Mirror", "Candle Set"),
    "Clothing": ("Jacket", "Sweater", "Jeans", "Dress", "Sneakers", "Scarf"),
    "Beauty": ("Serum", "Face Cream", "Perfume", "Lipstick", "Shampoo", "Palette"),
}
PRODUCT_BRANDS = ("Nova", "Apex", "Luma", "Verde")
REGIONS = ("Europe", "North America", "South America", "Asia")
FIRST_NAMES = (
    "Alex", "Maria", "John", "Aisha", "Chen", "Sofia", "Lucas", "Emma", "Ravi", "Yuki",
    "Omar", "Laura", "Diego", "Hannah", "Mateo", "Olivia", "Noah", "Fatima", "Liam", "Mei",
)
LAST_NAMES = (
    "Smith", "Garcia", "Müller", "Khan", "Wang", "Rossi", "Silva", "Brown", "Patel", "Tanaka",
    "Nguyen", "Johnson", "Costa", "Novak", "Kim", "Martin", "Lopez", "Dubois", "Singh", "Berg",
)


@dataclass(frozen=True)
class SegmentSpec:
    """How the customers of one planted segment buy."""

    share: float  # of all customers
    orders: tuple[int, int]  # orders in the window, inclusive range
    base_quantity: int  # every order has at least this many items
    extra_quantity: float  # plus Poisson(extra_quantity * customer tilt) items
    price_tilt: float  # products drawn with weight price ** price_tilt within a category
    categories: dict[str, float]  # category weights
    recency_days: tuple[int, int]  # last order this many days before end_date
    tenure_days: tuple[int, int]  # signed up this many days before end_date
    regions: tuple[float, float, float, float]  # weights over REGIONS


SEGMENTS: dict[str, SegmentSpec] = {
    "champions": SegmentSpec(
        0.15, (15, 30), 1, 2.0, 0.0,
        {"Clothing": 3, "Electronics": 2, "Beauty": 2, "Home Decor": 1.5, "Books": 1.5},
        (0, 30), (365, 1100), (0.3, 0.35, 0.1, 0.25),
    ),
    "bulk_buyers": SegmentSpec(
        0.20, (5, 12), 6, 8.0, -2.5,
        {"Home Decor": 4.5, "Books": 4, "Beauty": 1.5},
        (3, 120), (200, 1000), (0.35, 0.25, 0.15, 0.25),
    ),
    "premium_occasional": SegmentSpec(
        0.15, (2, 4), 1, 0.3, 2.5,
        {"Electronics": 7, "Clothing": 1.5, "Home Decor": 1.5},
        (10, 210), (150, 1000), (0.3, 0.4, 0.05, 0.25),
    ),
    "lapsed": SegmentSpec(
        0.25, (1, 4), 1, 1.0, 0.0,
        {"Clothing": 3, "Beauty": 2.5, "Books": 2.5, "Home Decor": 1.5, "Electronics": 0.3},
        (250, 600), (400, 1100), (0.25, 0.25, 0.25, 0.25),
    ),
    "new": SegmentSpec(
        0.25, (1, 2), 1, 1.0, 0.0,
        {"Clothing": 2.5, "Beauty": 2.5, "Books": 2, "Home Decor": 2, "Electronics": 0.6},
        (0, 90), (1, 90), (0.25, 0.3, 0.2, 0.25),
    ),
}
WHALE_SEGMENT = "champions"
N_DUPLICATES = 5  # exact duplicate transaction rows (double export)
N_ORPHANS = 3  # transactions whose CustomerID is not in Customers
RETURN_SHARE = 0.01  # share of purchase lines later (partly) returned


def make_sample(n_customers: int = 3000, seed: int = 7, end_date: str = "2024-12-31") -> dict[str, pd.DataFrame]:
    """Build the three sample tables and the planted truth.

    Parameters
    ----------
    n_customers : int
        Customers in the Customers table (at least 50, so every segment is populated).
    seed : int
        Seed of the numpy Generator; same seed, same tables.
    end_date : str
        Last day of the transaction history (ISO date).

    Returns
    -------
    dict
        ``customers``, ``products``, ``transactions`` (dates as text, as in the
        CSV files) and ``truth`` (CustomerID, segment).
    """
    if n_customers < 50:
        raise ValueError(f"n_customers is {n_customers}; use 50 or more so every segment has customers.")
    rng = np.random.default_rng(seed)
    end = pd.Timestamp(end_date).normalize()
    products = _products(rng)
    segment = _assign_segments(rng, n_customers)
    customers, tenure, recency = _customers(rng, segment, end)
    lines = _orders(rng, segment, tenure, recency, products)
    lines = _add_returns(rng, lines, products)
    lines = _add_orphans(rng, lines, products, n_customers)
    transactions = _finish_transactions(rng, lines, products, end, id_width=_id_width(n_customers))
    truth = pd.DataFrame({"CustomerID": customers["CustomerID"], "segment": np.array(list(SEGMENTS))[segment]})
    return {"customers": customers, "products": products, "transactions": transactions, "truth": truth}


def write_sample(sample: dict[str, pd.DataFrame], sample_dir: str | Path, truth_path: str | Path) -> list[Path]:
    """Write the tables as CSV (Customers/Products/Transactions) and the truth file; return the paths."""
    sample_dir = Path(sample_dir)
    sample_dir.mkdir(parents=True, exist_ok=True)
    paths = [sample_dir / "Customers.csv", sample_dir / "Products.csv", sample_dir / "Transactions.csv"]
    for path, key in zip(paths, ("customers", "products", "transactions"), strict=True):
        sample[key].to_csv(path, index=False, float_format="%.2f", lineterminator="\n")
    truth_path = Path(truth_path)
    truth_path.parent.mkdir(parents=True, exist_ok=True)
    sample["truth"].to_csv(truth_path, index=False, lineterminator="\n")
    return [*paths, truth_path]


# ---- building blocks ---------------------------------------------------------

def _products(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for category in CATEGORIES:
        median, sigma = CATEGORY_PRICES[category]
        prices = np.round(median * np.exp(rng.normal(0.0, sigma, PRODUCTS_PER_CATEGORY)), 2)
        nouns = PRODUCT_NOUNS[category]
        for i, price in enumerate(prices):
            name = f"{PRODUCT_BRANDS[i // len(nouns) % len(PRODUCT_BRANDS)]} {nouns[i % len(nouns)]}"
            rows.append((name, category, max(float(price), 1.99)))
    products = pd.DataFrame(rows, columns=["ProductName", "Category", "Price"])
    products.insert(0, "ProductID", [f"P{i + 1:03d}" for i in range(len(products))])
    return products


def _assign_segments(rng: np.random.Generator, n_customers: int) -> np.ndarray:
    shares = np.array([s.share for s in SEGMENTS.values()])
    counts = np.floor(shares * n_customers).astype(int)
    counts[-1] += n_customers - counts.sum()
    return rng.permutation(np.repeat(np.arange(len(SEGMENTS)), counts))


def _customers(rng: np.random.Generator, segment: np.ndarray, end: pd.Timestamp):
    """Customers table plus each customer's tenure and recency (days before end)."""
    n = len(segment)
    specs = list(SEGMENTS.values())
    tenure = np.empty(n, dtype=int)
    recency = np.empty(n, dtype=int)
    region = np.empty(n, dtype=int)
    for s, spec in enumerate(specs):
        idx = np.flatnonzero(segment == s)
        tenure[idx] = rng.integers(spec.tenure_days[0], spec.tenure_days[1] + 1, len(idx))
        recency[idx] = rng.integers(spec.recency_days[0], spec.recency_days[1] + 1, len(idx))
        region[idx] = rng.choice(len(REGIONS), len(idx), p=np.array(spec.regions) / sum(spec.regions))
    new = segment == list(SEGMENTS).index("new")
    # A customer cannot buy before signing up: recent sign-ups buy between signup and end,
    # everyone else signed up at least a month before their last order.
    recency[new] = np.minimum(recency[new], tenure[new] - 1)
    tenure[~new] = np.maximum(tenure[~new], recency[~new] + 30)
    width = _id_width(n)
    names = [
        f"{FIRST_NAMES[a]} {LAST_NAMES[b]}"
        for a, b in zip(rng.integers(0, len(FIRST_NAMES), n), rng.integers(0, len(LAST_NAMES), n), strict=True)
    ]
    customers = pd.DataFrame(
        {
            "CustomerID": [f"C{i + 1:0{width}d}" for i in range(n)],
            "CustomerName": names,
            "Region": np.array(REGIONS)[region],
            "SignupDate": (end - pd.to_timedelta(tenure, unit="D")).strftime("%Y-%m-%d"),
        }
    )
    return customers, tenure, recency


def _orders(rng, segment, tenure, recency, products) -> pd.DataFrame:
    """One line per order: customer index, days before end, product index, quantity."""
    specs = list(SEGMENTS.values())
    n = len(segment)
    lo = np.array([specs[s].orders[0] for s in segment])
    hi = np.array([specs[s].orders[1] for s in segment])
    n_orders = rng.integers(lo, hi + 1)
    quantity_boost = np.exp(rng.normal(0.0, 0.3, n))  # customers differ within a segment
    whales = rng.choice(np.flatnonzero(segment == list(SEGMENTS).index(WHALE_SEGMENT)),
                        int(np.clip(round(n * 7 / 3000), 1, 10)), replace=False)
    n_orders[whales] = rng.integers(40, 61, len(whales))
    quantity_boost[whales] *= rng.uniform(5.0, 9.0, len(whales))

    customer = np.repeat(np.arange(n), n_orders)
    first_in_customer = np.r_[0, np.cumsum(n_orders)[:-1]]
    window_start = np.minimum(tenure, HISTORY_DAYS - 1)[customer]
    days_before_end = rng.integers(recency[customer], window_start + 1)
    days_before_end[first_in_customer] = recency  # the last order sets recency exactly

    seg = segment[customer]
    quantity = np.empty(len(customer), dtype=int)
    product = np.empty(len(customer), dtype=int)
    prices = products["Price"].to_numpy()
    for s, spec in enumerate(specs):
        idx = np.flatnonzero(seg == s)
        quantity[idx] = spec.base_quantity + rng.poisson(spec.extra_quantity * quantity_boost[customer[idx]])
        weights = np.array([spec.categories.get(c, 0.0) for c in products["Category"]]) / PRODUCTS_PER_CATEGORY
        weights = weights * prices**spec.price_tilt
        # Each category keeps the segment's category weight; the tilt only moves choice within it.
        for c in CATEGORIES:
            in_c = (products["Category"] == c).to_numpy()
            if weights[in_c].sum() > 0:
                weights[in_c] *= spec.categories.get(c, 0.0) / weights[in_c].sum()
        product[idx] = rng.choice(len(products), len(idx), p=weights / weights.sum())
    seconds = rng.integers(8 * 3600, 22 * 3600, len(customer))
    return pd.DataFrame(
        {"customer": customer, "days_before_end": days_before_end, "seconds": seconds,
         "product": product, "quantity": quantity}
    )


def _add_returns(rng, lines: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """About 1% of purchase lines come back a few days later, in full or in part."""
    picked = lines.iloc[np.sort(rng.choice(len(lines), round(RETURN_SHARE * len(lines)), replace=False))]
    returned = rng.integers(1, picked["quantity"].to_numpy() + 1)
    days_later = rng.integers(1, 31, len(picked))
    returns = picked.assign(
        days_before_end=np.maximum(picked["days_before_end"].to_numpy() - days_later, 0),
        quantity=-returned,
    )
    return pd.concat([lines, returns], ignore_index=True)


def _add_orphans(rng, lines: pd.DataFrame, products: pd.DataFrame, n_customers: int) -> pd.DataFrame:
    """A few lines for customer ids that the Customers table does not know."""
    orphans = pd.DataFrame(
        {
            "customer": n_customers + np.arange(N_ORPHANS),
            "days_before_end": rng.integers(0, HISTORY_DAYS, N_ORPHANS),
            "seconds": rng.integers(8 * 3600, 22 * 3600, N_ORPHANS),
            "product": rng.integers(0, len(products), N_ORPHANS),
            "quantity": rng.integers(1, 4, N_ORPHANS),
        }
    )
    return pd.concat([lines, orphans], ignore_index=True)


def _finish_transactions(rng, lines: pd.DataFrame, products: pd.DataFrame, end: pd.Timestamp,
                         id_width: int) -> pd.DataFrame:
    """Dates, ids and values in the export's format, plus a few duplicated rows."""
    timestamp = end - pd.to_timedelta(lines["days_before_end"], unit="D") + pd.to_timedelta(lines["seconds"], unit="s")
    order = np.lexsort((lines["customer"].to_numpy(), timestamp.to_numpy()))
    lines = lines.iloc[order].reset_index(drop=True)
    timestamp = timestamp.iloc[order].reset_index(drop=True)
    price = products["Price"].to_numpy()[lines["product"]]
    transactions = pd.DataFrame(
        {
            "TransactionID": [f"T{i + 1:06d}" for i in range(len(lines))],
            "CustomerID": [f"C{c + 1:0{id_width}d}" for c in lines["customer"]],
            "ProductID": products["ProductID"].to_numpy()[lines["product"]],
            "TransactionDate": timestamp.dt.strftime("%Y-%m-%d %H:%M:%S"),
            "Quantity": lines["quantity"].to_numpy(),
            "TotalValue": np.round(lines["quantity"].to_numpy() * price, 2),
            "Price": price,
        }
    )
    duplicated = np.sort(rng.choice(len(transactions), N_DUPLICATES, replace=False))
    rows = np.sort(np.r_[np.arange(len(transactions)), duplicated], kind="stable")
    return transactions.iloc[rows].reset_index(drop=True)


def _id_width(n_customers: int) -> int:
    """Digits of CustomerID: "C0001" up to 9,999 customers, wider beyond (orphans included)."""
    return max(4, len(str(n_customers + N_ORPHANS)))
