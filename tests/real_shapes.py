"""Generated exports in the shapes real clients send, for end-to-end tests of the default build.

Each writer puts files under a folder and returns their paths. They imitate
exports nobody on the project tuned on:

* :func:`write_cd_store_log`: a one-table purchase log as the public CD-store
  data is exported (``customer_id,date,cds,dollar_value``, dates as yyyymmdd
  numbers, no order id, a few identical lines). Every customer first bought in
  the same quarter (a cohort), most never came back.
* :func:`write_one_day_extract`: one day of an Online Retail export with 14 customers.
* :func:`write_weak_three_tables`: the three-table e-commerce shape of the seed
  reports (200 customers, 1,000 transactions drawn without any segment
  structure, signup dates unrelated to the purchases).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def write_cd_store_log(folder: Path, n_customers: int = 600, seed: int = 3) -> Path:
    """Cohort log: first purchases in Jan-Mar 1997, repeat purchases until mid-1998, no order id."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("1997-01-01")
    rows = []
    for customer in range(1, n_customers + 1):
        first = start + pd.Timedelta(days=int(rng.integers(0, 90)))
        heavy = rng.random() < 0.25  # a quarter keep buying, the rest buy once or twice
        n = int(rng.integers(4, 15)) if heavy else int(rng.choice([1, 1, 1, 2]))
        days = np.sort(rng.integers(0, 540 if heavy else 200, n))
        days[0] = 0
        for d in days:
            cds = int(rng.integers(1, 6 if heavy else 3))
            rows.append((customer, int((first + pd.Timedelta(days=int(d))).strftime("%Y%m%d")), cds,
                         round(cds * float(rng.uniform(9.0, 16.0)), 2)))
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "cds", "dollar_value"])
    repeats = frame.sample(12, random_state=seed)  # the same CD bought twice the same day
    frame = pd.concat([frame, repeats]).sort_values(["date", "customer_id"], kind="stable")
    path = Path(folder) / "cd_store.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n")
    return path


def write_one_day_extract(folder: Path) -> Path:
    """14 customers on 1 December 2010, Online Retail columns (recency and tenure are constant)."""
    rng = np.random.default_rng(14)
    rows = []
    for i, customer in enumerate(range(17850, 17864)):
        invoice = 536365 + i
        for line in range(int(rng.integers(1, 6))):
            rows.append((invoice, f"8512{line}A", f"ITEM {line}", int(rng.integers(1, 25)),
                         f"12/1/10 {8 + i // 3}:{10 + i:02d}", round(float(rng.uniform(0.5, 9.0)), 2),
                         float(customer), "United Kingdom"))
    frame = pd.DataFrame(rows, columns=["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate",
                                        "UnitPrice", "CustomerID", "Country"])
    path = Path(folder) / "online_retail_extract.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n")
    return path


def write_weak_three_tables(folder: Path, seed: int = 5) -> list[Path]:
    """Customers / Products / Transactions for 200 customers with no planted structure."""
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ids = [f"C{i:04d}" for i in range(1, 201)]
    signup = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 1000, 200), unit="D")
    customers = pd.DataFrame({"CustomerID": ids, "CustomerName": [f"Name {i}" for i in range(200)],
                              "Region": rng.choice(["Europe", "Asia", "North America", "South America"], 200),
                              "SignupDate": signup.strftime("%Y-%m-%d")})
    price = np.round(rng.uniform(10, 500, 100), 2)
    products = pd.DataFrame({"ProductID": [f"P{i:03d}" for i in range(1, 101)],
                             "ProductName": [f"Product {i}" for i in range(100)],
                             "Category": rng.choice(["Books", "Electronics", "Home Decor", "Clothing"], 100),
                             "Price": price})
    who = rng.choice(199, 1000)  # customer C0200 never buys
    what = rng.integers(0, 100, 1000)
    quantity = rng.integers(1, 5, 1000)
    when = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365 * 24 * 3600, 1000), unit="s")
    transactions = pd.DataFrame({
        "TransactionID": [f"T{i:05d}" for i in range(1, 1001)], "CustomerID": np.array(ids)[who],
        "ProductID": products["ProductID"].to_numpy()[what], "TransactionDate": when.strftime("%Y-%m-%d %H:%M:%S"),
        "Quantity": quantity, "TotalValue": np.round(quantity * price[what], 2), "Price": price[what],
    })
    paths = [folder / "Customers.csv", folder / "Products.csv", folder / "Transactions.csv"]
    for path, frame in zip(paths, (customers, products, transactions), strict=True):
        frame.to_csv(path, index=False, lineterminator="\n")
    return paths
