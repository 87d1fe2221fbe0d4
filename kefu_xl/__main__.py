"""Run the ribbon button's code outside Excel, for debugging:

    python -m kefu_xl 2026-11/维护跟踪_2026-11.xlsx

Opens the workbook in Excel through xlwings, marks it as the caller (set_mock_caller) and
runs kefu_xl.main() exactly as 客服工具 → 重算 would.
"""
import sys

if __name__ == "__main__":
    import xlwings as xw

    from kefu_xl import main
    xw.Book(sys.argv[1]).set_mock_caller()
    main()
