"""Small hand-made data files in the four shapes the loader must recognise.

Each writer puts files under a folder the test gives (pytest's ``tmp_path``)
and returns their paths, so no fixture file is committed and every test sees
exactly the rows written here. Rows are few enough to count by hand; the
comments say what each row is for.
"""

from __future__ import annotations

from pathlib import Path

CUSTOMERS_CSV = """CustomerID,CustomerName,Region,SignupDate
C0001,Ann Lee,Europe,2022-07-14
C0002,Bo Chan,Asia,2022-02-13
C0003,Cy Diaz,South America,2024-03-07
C0004,Di Eve,Europe,2022-10-09
"""

PRODUCTS_CSV = """ProductID,ProductName,Category,Price
P001,Lamp,Home Decor,20.00
P002,Novel,Books,12.50
P003,Kettle,Electronics,40.00
"""

# TransactionID, CustomerID, ProductID, TransactionDate, Quantity, TotalValue, Price
TRANSACTIONS_CSV = """TransactionID,CustomerID,ProductID,TransactionDate,Quantity,TotalValue,Price
T001,C0001,P001,2024-01-05 10:00:00,2,40.00,20.00
T002,C0001,P002,2024-02-10 11:30:00,1,12.50,12.50
T003,C0002,P003,2024-01-20 09:15:00,1,40.00,40.00
T004,C0002,P001,2024-03-15 14:22:00,3,60.00,20.00
T005,C0003,P002,2024-03-20 16:00:00,4,50.00,12.50
T006,C0001,P003,2024-04-01 08:00:00,1,40.00,40.00
"""
UNMATCHED_LINES = """T007,C0099,P001,2024-04-02 08:00:00,1,20.00,20.00
T008,C0098,P009,2024-04-03 08:00:00,2,80.00,40.00
"""

# Online-retail shape. Hand count (12 data rows):
#   rows 9, 10: no CustomerID                      -> rows_missing_customer = 2
#   row 11: InvoiceDate "not a date"               -> unparseable_dates["InvoiceDate"] = 1
#   row 5: exact copy of row 4                     -> duplicate_rows = 1
#   row 7: invoice C536379, quantity -1            -> returns = 1 (kept, returns="net")
#   row 12: UnitPrice 0.00                         -> non_positive_prices = 1
#   rows_used = 12 - 2 - 1 - 1 = 8; customers 17850, 13047, 14527, 12583 = 4
#   amounts: 17850: 6*2.55 + 6*3.39 + 6*1.85 = 15.30 + 20.34 + 11.10 = 46.74
#            13047: 32*1.69 + 6*4.25 = 54.08 + 25.50 = 79.58; 14527: -27.50; 12583: 24*3.75 + 0 = 90.00
#   dates: 2010-12-01 08:26 .. 2010-12-13 08:34 (row 6 has day 13: month/day order)
ONLINE_RETAIL_CSV = """InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/10 8:26,2.55,17850.0,United Kingdom
536365,71053,WHITE METAL LANTERN,6,12/1/10 8:26,3.39,17850.0,United Kingdom
536366,22633,HAND WARMER UNION JACK,6,12/1/10 8:28,1.85,17850.0,United Kingdom
536367,84879,ASSORTED COLOUR BIRD ORNAMENT,32,12/1/10 8:34,1.69,13047.0,United Kingdom
536367,84879,ASSORTED COLOUR BIRD ORNAMENT,32,12/1/10 8:34,1.69,13047.0,United Kingdom
536368,22960,JAM MAKING SET WITH JARS,6,12/13/10 8:34,4.25,13047.0,United Kingdom
C536379,D,Discount,-1,12/1/10 9:41,27.50,14527.0,United Kingdom
536370,22728,ALARM CLOCK BAKELIKE PINK,24,12/1/10 8:45,3.75,12583.0,France
536371,22086,PAPER CHAIN KIT 50'S CHRISTMAS,80,12/1/10 9:00,2.55,,United Kingdom
536372,22632,HAND WARMER RED POLKA DOT,6,12/1/10 9:01,1.85,,United Kingdom
536373,21730,GLASS STAR FROSTED T-LIGHT HOLDER,6,not a date,4.25,17850.0,United Kingdom
536374,22752,SET 7 BABUSHKA NESTING BOXES,2,12/2/10 10:00,0.00,12583.0,France
"""

# Headerless log: customer, date, quantity, amount (5 rows, 3 customers; C1 spends 29.97, C2 70.00, C3 5.00)
HEADERLESS_CSV = """C1,2024-01-05,2,19.98
C1,2024-02-10,1,9.99
C2,2024-01-07,5,50.00
C3,2024-03-01,1,5.00
C2,2024-03-02,2,20.00
"""
HEADERLESS_ROLES = {"customer_id": "column_1", "date": "column_2", "quantity": "column_3", "amount": "column_4"}

# The first eight rows of the public Mall Customers table (one row per customer).
MALL_CSV = """CustomerID,Gender,Age,Annual Income (k$),Spending Score (1-100)
1,Male,19,15,39
2,Male,21,15,81
3,Female,20,16,6
4,Female,23,16,77
5,Female,31,17,40
6,Female,22,17,76
7,Female,35,18,6
8,Female,23,18,94
"""

# Lines without an order id. Hand count (6 data rows, 3 customers A, B, C):
#   row 3 repeats row 2, row 6 repeats row 5       -> 2 identical rows
#   duplicates "auto"/"keep": all 6 rows used, identical_rows_kept = 2; A spends 5 + 7 + 7 = 19, C 2 + 2 = 4
#   duplicates "drop": rows_used = 4, duplicate_rows = 2; A spends 12, C 2
REPEATS_CSV = """CustomerID,Date,Amount
A,2024-01-03,5.00
A,2024-01-09,7.00
A,2024-01-09,7.00
B,2024-01-04,3.50
C,2024-01-05,2.00
C,2024-01-05,2.00
"""

# Signup dates against first purchases. Hand count:
#   Customers.csv lists 7 customers; C04 has no signup date; C06 never bought;
#   C07's only line has an unreadable date, so cleaning removes it     -> 1 with no line, 1 more cleaned away
#   customers in the analysis: C01..C05 = 5; with a signup date: C01, C02, C03, C05 = 4
#   first purchase before signup (calendar days): C01 (01-05 < 01-10), C03 (02-15 < 03-01) = 2 of 4 (50.0%)
#   not before: C02 (bought on its signup day), C05 (its earlier line is a return, not a purchase)
#   reference date: the day after 2024-03-30 = 2024-03-31; tenure from the earlier of signup and first purchase:
#   C01 from 01-05: 86 days; C02 from 02-01: 59; C03 from 02-15: 45; C04 (no signup) from 01-20: 71;
#   C05 from signup 01-01: 90   (2024 is a leap year: February has 29 days)
SIGNUP_CUSTOMERS_CSV = """CustomerID,Region,SignupDate
C01,North,2024-01-10
C02,North,2024-02-01
C03,South,2024-03-01
C04,South,
C05,North,2024-01-01
C06,South,2024-01-01
C07,North,2024-01-01
"""
SIGNUP_TRANSACTIONS_CSV = """OrderID,CustomerID,OrderDate,Quantity,Amount
O1,C01,2024-01-05,1,10.00
O2,C01,2024-03-02,2,20.00
O3,C02,2024-02-01 10:00,1,15.00
O4,C03,2024-02-15,3,30.00
O5,C04,2024-01-20,1,12.00
O6,C05,2023-12-20,-1,-8.00
O7,C05,2024-01-15,2,16.00
O8,C07,someday,1,9.00
O9,C02,2024-03-30,1,5.00
"""


def padded_ids_csv(n: int = 60) -> str:
    """Transactions of customers 00001..000nn (text ids with leading zeros), two lines each.

    Customer i buys i units at 2.50 on 2024-01-(i mod 28 + 1) and 1 unit at 2.50 on 2024-03-01:
    2n lines, n customers; the first line is customer "00001".
    """
    lines = [f"{i:05d},2024-01-{i % 28 + 1:02d},{i},2.50\n{i:05d},2024-03-01,1,2.50\n" for i in range(1, n + 1)]
    return "CustomerID,Date,Quantity,UnitPrice\n" + "".join(lines)


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``folder/name`` byte for byte (newline "\\n") in ``encoding``."""
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def write_three_tables(folder: Path, unmatched: bool = False) -> list[Path]:
    """Customers, Products and Transactions CSVs; ``unmatched`` adds two lines with unknown ids."""
    transactions = TRANSACTIONS_CSV + (UNMATCHED_LINES if unmatched else "")
    return [
        write(folder, "Customers.csv", CUSTOMERS_CSV),
        write(folder, "Products.csv", PRODUCTS_CSV),
        write(folder, "Transactions.csv", transactions),
    ]


def write_online_retail(folder: Path, name: str = "online_retail.csv") -> Path:
    return write(folder, name, ONLINE_RETAIL_CSV)


def write_headerless(folder: Path, name: str = "log.csv") -> Path:
    return write(folder, name, HEADERLESS_CSV)


def write_mall(folder: Path, name: str = "Mall_Customers.csv") -> Path:
    return write(folder, name, MALL_CSV)


def write_excel(folder: Path, name: str, sheets: dict[str, str]) -> Path:
    """A workbook with one sheet per CSV text (an empty text gives an empty sheet)."""
    from io import StringIO

    import pandas as pd

    path = Path(folder) / name
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for sheet, text in sheets.items():
            frame = pd.read_csv(StringIO(text)) if text else pd.DataFrame()
            frame.to_excel(writer, sheet_name=sheet, index=False)
    return path


def write_signup_tables(folder: Path) -> list[Path]:
    return [write(folder, "Customers.csv", SIGNUP_CUSTOMERS_CSV),
            write(folder, "Transactions.csv", SIGNUP_TRANSACTIONS_CSV)]


def write_excel_cells(folder: Path, name: str, rows: list[list], formats: dict[int, str] | None = None) -> Path:
    """A one-sheet workbook written cell by cell (text stays text); ``formats``: column position -> number format."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            cell = sheet.cell(row=r, column=c + 1, value=value)
            if r > 1 and formats and c in formats:
                cell.number_format = formats[c]
    path = Path(folder) / name
    book.save(path)
    return path
