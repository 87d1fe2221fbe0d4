"""kefu-xl report: the statement's formulas over 数据 equal Python's figures (LibreOffice),
charts reference the right ranges, the HTML renders, quarters aggregate, gaps are named."""
import re
import subprocess
import zipfile
from decimal import Decimal
from html.parser import HTMLParser

import openpyxl
import pytest
from click.testing import CliRunner
from helpers import same

from kefu_xl.app.report import collect, figures, write_report
from kefu_xl.cli import cli
from kefu_xl.io.libreoffice import recalculate
from kefu_xl.month import Month


def test_report_figures_trace_back_to_the_trackers(demo):
    data = collect(demo, [Month(2026, 11)])
    f = figures(data)
    maintenance_staff = {s.staff: s for s in
                         __import__("kefu_xl.app.workbooks", fromlist=["x"]).recalc_file(
                             demo / "2026-11" / "维护跟踪_2026-11.xlsx", write=False,
                             as_of=Month(2026, 11).last).result.figures.staff}
    for name, s in maintenance_staff.items():
        assert f[name]["维护完成率"] == s.ratio and f[name]["有效工作数"] == s.valid_work
        assert f[name]["日均有效工作"] == s.daily_valid
    assert f["合计"]["续费提成"] == sum(v["续费提成"] for k, v in f.items() if k != "合计")


@pytest.mark.libreoffice
def test_statement_formulas_equal_python(demo, tmp_path):
    made = write_report(demo, "2026-11")
    target, data = made.path, made.data
    expected = figures(data)
    wb = openpyxl.load_workbook(recalculate(target, tmp_path / "lo"), data_only=True)
    ws = wb["绩效提成"]
    header = [c.value for c in ws[2]]
    compared = 0
    for row in ws.iter_rows(min_row=3, max_row=2 + len(expected), values_only=True):
        values = dict(zip(header, row))
        for k, v in expected[values["客服"]].items():
            compared += 1
            assert same(v if not isinstance(v, Decimal) or k.endswith("率") else v, values[k]), (values["客服"], k, v,
                                                                                               values[k])
    assert compared == len(expected) * 10                  # the nine figures and 计划完成率


def test_charts_reference_the_statement(demo):
    made = write_report(demo, "2026-11")
    target, data = made.path, made.data
    with zipfile.ZipFile(target) as z:
        charts = [z.read(n).decode("utf-8") for n in sorted(z.namelist()) if n.startswith("xl/charts/chart")]
    scorecard = [c for c in charts if "'考核'!" in c]          # one per person on 考核 (test_scorecard.py)
    charts = [c for c in charts if c not in scorecard]
    assert len(scorecard) == len(data.staff)
    assert len(charts) == 3                      # completion + 100% line, renewal rate, six-month trend
    last = 2 + len(data.staff)      # the header is row 2
    refs = [re.findall(r"<f>([^<]*)</f>", c) for c in charts]
    # 维护完成率 is column B, 当月续费率 column E; rows 3.. are the staff; the 100% line is on 图表
    assert refs[0] == ["'绩效提成'!B2", f"'绩效提成'!$A$3:$A${last}", f"'绩效提成'!$B$3:$B${last}",
                       "'图表'!B2", f"'图表'!$B$3:$B${last}"]
    assert "lineChart" in charts[0] and "barChart" in charts[0]
    assert refs[1] == ["'绩效提成'!E2", f"'绩效提成'!$A$3:$A${last}", f"'绩效提成'!$E$3:$E${last}"]
    assert "团队维护完成率" not in charts[1] and "lineChart" in charts[2]
    wb = openpyxl.load_workbook(target)
    ws = wb["绩效提成"]
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert all(any(t.startswith(who) for t in texts) for who in ("制表", "客服经理", "财务", "总经理"))


class _Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.cells, self.svgs, self._in = [], 0, False

    def handle_starttag(self, tag, attrs):
        self._in = tag in ("td", "th")
        self.svgs += tag == "svg"

    def handle_data(self, data):
        if self._in and data.strip():
            self.cells.append(data.strip())

    def handle_endtag(self, tag):
        self._in = False


def test_html_is_self_contained_and_carries_the_figures(demo):
    result = CliRunner().invoke(cli, ["report", "2026-11", "--dir", str(demo), "--html"])
    assert result.exit_code == 0, result.output
    html = (demo / "2026-11" / "绩效提成_2026-11.html").read_text("utf-8")
    assert "<link" not in html and "src=" not in html and "http" not in html.replace("http://www.w3.org", "")
    parser = _Cells()
    parser.feed(html)
    assert parser.svgs == 2 and "合计" in parser.cells and "维护完成率" in parser.cells
    f = figures(collect(demo, [Month(2026, 11)]))
    assert f"{f['合计']['续费提成']:,.2f}" in parser.cells


def test_quarter_aggregates_three_months_and_names_missing_files(demo):
    made = write_report(demo, quarter="2026Q4")
    target, data = made.path, made.data
    assert target.name == "绩效提成_2026Q4.xlsx"
    assert any("2026-12" in w and "维护跟踪" in w for w in data.warnings)
    months = {r["月份"] for r in data.rows}
    assert months == {"2026-10", "2026-11"}
    f = figures(data)
    oct_nov = [figures(collect(demo, [Month(2026, m)]))["合计"]["有效工作数"] for m in (10, 11)]
    assert f["合计"]["有效工作数"] == sum(oct_nov)


def test_trackers_with_problems_are_flagged_on_the_statements_problem_sheet(demo):
    made = write_report(demo, "2026-11")
    target, data = made.path, made.data
    assert any("维护跟踪_2026-11.xlsx 有" in w and "问题" in w for w in data.warnings)
    wb = openpyxl.load_workbook(target)
    page = [c.value for row in wb["绩效提成"].iter_rows() for c in row if isinstance(c.value, str)]
    assert not any("问题" in t and "数字可能不准" in t for t in page)       # the page finance signs is clean
    listed = [r[4] for r in wb["问题"].iter_rows(min_row=3, values_only=True) if r[4]]
    assert any("维护跟踪_2026-11.xlsx 有" in t and "数字可能不准" in t for t in listed), listed   # the 问题 sheet says it


def test_missing_month(tmp_path):
    from kefu_xl.app.workspace import init_workspace
    init_workspace(tmp_path / "w")
    result = CliRunner().invoke(cli, ["report", "2030-01", "--dir", str(tmp_path / "w")])
    assert result.exit_code == 1 and "请先开月" in result.output
    result = CliRunner().invoke(cli, ["report", "--quarter", "2026Q5", "--dir", str(tmp_path / "w")])
    assert result.exit_code == 1 and "2026Q4" in result.output


def test_html_renders_in_headless_chromium(demo, tmp_path, browser):
    chromium = browser
    write_report(demo, "2026-11", html=True)
    page = demo / "2026-11" / "绩效提成_2026-11.html"
    shot = tmp_path / "report.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
                    f"--screenshot={shot}", "--window-size=1000,900", page.as_uri()], capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 10_000
    dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
                         capture_output=True, timeout=120).stdout.decode("utf-8")
    rows = re.findall(r'<tr(?: class="total")?><td class="name">([^<]+)</td>', dom.split('id="statement"')[1].split("</table>")[0])
    assert rows == [*figures(collect(demo, [Month(2026, 11)]))]   # every person's row and 合计, as the browser parsed it                         # every person's row, as the browser parsed it
    assert "<svg" in dom and "由 kefu-xl 根据各月跟踪表生成" in dom
