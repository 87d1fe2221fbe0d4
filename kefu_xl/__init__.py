"""kefu-xl: spreadsheet-native automation for customer-service departments.

`main()` is what the Excel ribbon button 客服工具 → 重算 runs (through the add-in's
RibbonMyAddin.RunMain, which imports this package by the add-in's file name).
"""
from .excel.adapter import run_button

__version__ = "0.4.0.dev0"


def main() -> None:
    import xlwings as xw

    run_button(xw.Book.caller())
