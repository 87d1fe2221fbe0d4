"""kefu-xl command line: thin commands over the library; --help is the user's manual."""
from __future__ import annotations

import functools
import sys
from datetime import date, datetime
from pathlib import Path

import click
from rich.table import Table

from .addin import build_addin, install, status, uninstall
from .app import spend_watch
from .app.calls import update_queue
from .app.collect import add_plans, saved_at
from .app.greet import write_greetings
from .app.orderbooks import add_books
from .app.remind import write_reminders
from .app.report import compare_rules, online_summary, summary_rows, write_report
from .app.serve import serve as run
from .app.settle import explain, settle_month
from .app.settle_output import warnings_of
from .app.statements import statements_to_pdf, write_statements
from .app.team import collect_team
from .app.workbooks import RecalcOutcome, recalc_file
from .app.workspace import (
    EXPO_MONTHLY,
    init_workspace,
    locate_workspace,
    needs_account_status,
    open_month,
)
from .config import load_config
from .demo.show import run_demo
from .errors import KefuError
from .hints import command, here
from .io.values import mask_phone
from .kinds import callbacks
from .kinds.maintenance import MaintenanceFigures
from .kinds.orders import FILE_NAME
from .kinds.watch import WatchFigures
from .month import Month
from .present import click_zh, journal_cli, weekly_cli
from .present.outcomes import (
    console,
    err_console,
    friendly,
    print_outcome,
    show_problems,
)
from .present.tables import print_comparison, report_table, settlement_table
from .records import Severity

click_zh.install()                 # click's own messages (用法：, 错误：…) in Chinese


class MonthType(click.ParamType):
    name = "YYYY-MM"

    def convert(self, value, param, ctx):
        if isinstance(value, Month):
            return value
        try:
            return Month.parse(value)
        except KefuError as e:
            self.fail(str(e), param, ctx)


def as_of_option(func=None, *, text="截至日期（统计工作日数到这一天），默认今天，超过月末按月末。"):
    if func is None:                   # @as_of_option(text=…): a command whose date means something else
        return lambda f: as_of_option(f, text=text)
    return click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD", help=text)(func)


def dir_option(func):
    """--dir: the workspace. Run from the folder above a workspace (or from inside one), the
    command finds it; the command itself gets the workspace's folder."""
    @functools.wraps(func)
    def in_workspace(*args, folder: Path, **kwargs):
        return func(*args, folder=locate_workspace(folder), **kwargs)
    return click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path), default=".",
                        show_default=True,
                        help="工作区文件夹（含 kefu-xl.toml）。在工作区里、或在它的上一层文件夹运行时可以不写。"
                        )(friendly(in_workspace))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kefu-xl")
def cli():
    """kefu-xl：客服部门的 Excel 自动化工具。

    \b
    一个月的流程：
      kefu-xl init 工作区            建立工作区（配置、名册、文件夹）
      kefu-xl month open 2026-11     月初：读入 2026-11/inputs/帐户状态.xlsx，生成维护跟踪表
      kefu-xl recalc 文件.xlsx       日常：检查、恢复公式、刷新汇总（Excel 中为 客服工具 → 重算）
      kefu-xl check 文件.xlsx        只检查，不修改；有问题时退出码非 0
      kefu-xl serve --dir 工作区     常驻运行：自动做早计划、保存后重算、汇总、消耗监控（谁都不用敲命令）
      kefu-xl demo                   用内置演示数据走一遍完整流程
    """


@cli.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--expo", is_flag=True,
              help="只做家博会订单、退订与投诉的团队：开月只生成退订台账和投诉台账，不需要帐户状态表"
                   "（kefu-xl.toml 中 monthly = [\"refunds\", \"complaints\"]）。")
@friendly
def init(folder: Path, expo: bool):
    """建立工作区 FOLDER：写入带注释的 kefu-xl.toml（全部规则默认值）、空白的
    名册.xlsx、订单台账.xlsx 和当月的 inputs/ 文件夹。已有的文件不会被覆盖。

    \b
    例：kefu-xl init D:\\客服部
    之后：在 名册.xlsx 填写客服与星级，把平台导出的 帐户状态.xlsx 放进 YYYY-MM/inputs/，
    再运行 kefu-xl month open YYYY-MM --dir D:\\客服部
    家博会客服：kefu-xl init D:\\家博会 --expo，之后用 kefu-xl orders add-books 登记订单本，
    再运行 kefu-xl month open YYYY-MM --dir D:\\家博会（生成退订台账、投诉台账）
    """
    created = init_workspace(folder, monthly=EXPO_MONTHLY if expo else None)
    for path in created:
        console.print(f"已创建 {path}")
    if not created:
        console.print(f"{folder} 已是 kefu-xl 工作区，没有改动。")
    month_now = Month.of(date.today())
    if needs_account_status(load_config(folder / "kefu-xl.toml")):
        console.print(f"下一步：在 {here(folder / '名册.xlsx')} 填写客服，把平台导出的 帐户状态.xlsx 放进 "
                      f"{here(folder / str(month_now) / 'inputs')}，然后运行 {command(f'month open {month_now}', folder)}")
    else:
        console.print(f"下一步：登记订单本，例如 {command('orders add-books --start 100001 --books 20 --size 50', folder)}"
                      f"（起始号、本数、每本张数换成你的），在 {here(folder / '订单台账.xlsx')}「领用」登记领用，然后运行 "
                      f"{command(f'month open {month_now}', folder)}（生成退订台账、投诉台账）。"
                      f"月末结算：{command(f'settle {month_now}', folder)}")


@cli.group()
def month():
    """按月操作：开月。"""


@month.command("open")
@click.argument("month_", metavar="YYYY-MM", type=MonthType())
@dir_option
@as_of_option
@click.option("--refresh", is_flag=True,
              help="本月已开过时：用新的帐户状态表补充新帐户、新到期的续费和新开客户，更新余额/周消耗；人工填写的其他内容不变。")
@click.option("--rules", "rules", type=click.Choice(["current"]), default=None,
              help="与 --refresh 一起用：已开的月份改用当前 kefu-xl.toml [work.valid] 的有效工作规则"
                   "（默认每月一直用开月时的规则）。先用 kefu-xl report YYYY-MM --compare 看差别。")
@friendly
def month_open(month_: Month, folder: Path, as_of, refresh: bool, rules):
    """开月：生成 YYYY-MM/ 下本月的工作簿（kefu-xl.toml 的 [workbooks] monthly 决定哪些）：
    维护跟踪_YYYY-MM.xlsx（读取 YYYY-MM/inputs/帐户状态.xlsx 或 .csv 和上月的维护跟踪表）、
    退订台账_YYYY-MM.xlsx（备用金期初余额取上月对账的期末应有）、
    投诉台账_YYYY-MM.xlsx（上月处理中的投诉结转为「遗留」，已填内容全部保留）、
    网销_YYYY-MM.xlsx（上月跟进中、待分配、待核实的询盘结转为「遗留」）。

    \b
    - 续费跟踪：余额不足 7 天消耗或合同 30 天内到期的帐户为「当月」，上月未完成的为「遗留」；
    - 新客户跟踪：本月开户的帐户，加上上月未完成辅导的；
    - 按周消耗分档，建议级别 = 档位对应级别；级别 = 上月级别与建议级别中较高者（只升不降）；
    - 本月开户的帐户为新开客户，不计维护目标；
    - 输入有错误时列出全部问题（文件、行、列、值），不生成任何文件；
    - 有效工作的规则（[work.valid]）开月时记进本月的工作簿：升级或改设置都不改变已开月份的数字。

    \b
    例：kefu-xl month open 2026-12
        kefu-xl month open 2026-12 --refresh                   （月中拿到新的帐户状态表）
        kefu-xl report 2026-11 --compare                       （看当前规则会让 11 月的数字怎么变）
        kefu-xl month open 2026-11 --refresh --rules current   （11 月改用当前规则）
    """
    outcome = open_month(folder, month_, as_of=as_of.date() if as_of else None, refresh=refresh,
                         rules_current=rules == "current")
    for note in outcome.notes:
        console.print(note)
    for w in outcome.warnings:
        console.print(f"注意：{w}", style="yellow")
    show_problems(outcome.problems)
    for path in outcome.created:
        extra = (f"（帐户 {outcome.counts.get('帐户', 0)} 个，其中新开客户 {outcome.counts.get('新开客户', 0)} 个）"
                 if path.name.startswith("维护跟踪") else "")
        console.print(f"已生成 {path}{extra}")
    for path in outcome.refreshed:
        console.print(f"已更新 {path}（原文件备份在 .kefu-backup/）")
    if outcome.unchanged:
        console.print(f"已是最新、没有改写（也无需备份）：{outcome.unchanged_text()}")


@cli.group()
def orders():
    """订单台账：空白订单本登记、领用与回收。"""


@orders.command("add-books")
@click.option("--books", type=click.IntRange(1), required=True, help="追加多少本。")
@click.option("--size", type=click.IntRange(1), required=True, help="每本多少张。")
@click.option("--start", type=click.IntRange(1), default=None,
              help="第一本的起始订单号；不写则接着现有最大号（第一次追加必须写）。")
@click.option("--prefix", default="DB", show_default=True, help="订单本号前缀，本号为 前缀+4 位序号。")
@click.option("--date", "stocked", type=click.DateTime(["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD", help="入库日期，默认今天。")
@dir_option
@friendly
def orders_add_books(books: int, size: int, start, prefix: str, stocked, folder: Path):
    """在 订单台账.xlsx 的「空白订单」中追加 BOOKS 本连续的订单本，每本 SIZE 张。

    \b
    号码必须与已有订单本连续、不重叠（号码延续性和独占性），否则拒绝并提示应从几号开始。
    例：kefu-xl orders add-books --start 100001 --books 20 --size 50
        之后再追加：kefu-xl orders add-books --books 10 --size 50
    """
    path = folder / FILE_NAME
    rows = add_books(path, books=books, size=size, start=start, prefix=prefix,
                     stocked=stocked.date() if stocked else None)
    console.print(f"已追加 {len(rows)} 本：{rows[0]['订单本号']}（{rows[0]['起始号']} 起）至 "
                  f"{rows[-1]['订单本号']}（止于 {rows[-1]['结束号']}），共 {len(rows) * size} 张。已保存 {path}")


def _print_saved(outcome, file: Path) -> bool:
    """Say what happened to the file: saved (and where the backup is), left as it was because
    nothing changed, or not saved because its structure is broken (False)."""
    if outcome.written:
        console.print(f"已保存 {file}" + (f"（原文件备份在 {outcome.backup}）" if outcome.backup else ""))
    elif outcome.unchanged:
        console.print(f"{file} 已是最新：重算结果与文件中的完全一致，没有改写（也无需备份）。")
    else:
        err_console.print(f"{file.name} 结构不完整，没有保存。", style="bold red")
        return False
    return True


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="极少数需要整本重写的文件（如「问题」表被删掉）含图片、图表等 kefu-xl 无法保留的内容时，"
                                              "仍然保存（会先备份）。")
@as_of_option
@friendly
def recalc(file: Path, force: bool, as_of):
    """重算 FILE（文件须已关闭）：检查数据、标出无效记录、恢复被改动的公式、
    设置截至日期、刷新客服汇总，把全部问题写进「问题」表。

    只改写重算负责的单元格（公式及其计算结果、汇总、问题表），人工填写的单元格、
    别人加的图表和图片原样保留；保存前旧文件备份到同目录的 .kefu-backup/。
    重算结果与文件中的完全一致时（上次重算后没人改过），文件不改写、不备份，提示「已是最新」。
    Excel 中的 客服工具 → 重算 按钮做的是同一件事。
    """
    outcome = recalc_file(file, force=force, as_of=as_of.date() if as_of else None)
    print_outcome(outcome)
    if not _print_saved(outcome, file):
        sys.exit(1)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@as_of_option
@friendly
def check(file: Path, as_of):
    """只检查 FILE，不做任何修改：列出全部问题。
    有错误或警告时退出码为 1（可用于脚本），只有提示时为 0。

    \b
    例：kefu-xl check 2026-11/维护跟踪_2026-11.xlsx --as-of 2026-11-20
    """
    outcome = recalc_file(file, write=False, as_of=as_of.date() if as_of else None)
    print_outcome(outcome)
    serious = [p for p in outcome.result.problems if p.severity is not Severity.INFO]
    if serious:
        sys.exit(1)
    console.print("检查通过。")


@cli.command()
@click.argument("month_", metavar="YYYY-MM", type=MonthType())
@dir_option
@click.option("--dry-run", is_flag=True, help="只计算并显示结果，不写任何文件。")
@click.option("--explain", "order", default=None, metavar="订单号", help="显示一个订单的判断过程（查了哪些输入、哪条规则决定）。")
@click.option("--statements", is_flag=True,
              help="另外为每个商家生成可打印的对帐单（A4，网友手机号打码），装有 LibreOffice 时同时生成 PDF。")
@friendly
def settle(month_: Month, folder: Path, dry_run: bool, order, statements: bool):
    """月末商家结算：读取 YYYY-MM/inputs/ 中的 CRM订单.csv（或 .xlsx）、结算流转单/*.xlsx、
    投诉.xlsx、回访核实.xlsx，以及订单台账.xlsx、各月退订台账和各月投诉台账（同一投诉以最新月份的为准，
    处理中的投诉涉及的订单暂缓），给每条申报一个结果
    （结算 / 暂缓 / 不结算）和原因，写出 YYYY-MM/结算_YYYY-MM.xlsx（汇总、明细、待回访、异常、说明），
    并把结算的订单登记到订单台账的「已结算」，在「领用」中记下本次扣除的罚款。

    \b
    输入文件的列（按表头文字找列，顺序不限，可以有别的列；表头上方可以有标题行）：
      CRM订单.csv / .xlsx   订单号 · 商家 · 类目 · 活动场次 · 网友姓名 · 手机 · 成交金额 · 订单状态 · 下单日期
                            订单状态：成交 / 预约退订 / 已退订 / 作废；CSV 可以是 UTF-8 或 GBK
      结算流转单/*.xlsx     商家 · 订单号 · 商家联 · 网友联 · 申报金额（每个类目经理一个文件，只读一张工作表）
                            商家联、网友联：有/无（是/否、✓/空 也可以）；商家名与订单台账「领用」一字不差
      回访核实.xlsx（可选） 订单号 · 核实结果（成交/未成交）· 核实金额 · 核实日期
      投诉.xlsx（可选）     投诉编号 · 订单号 · 商家 · 投诉日期 · 状态（处理中/已解决）

    \b
    结算前检查（有错误时不结算、不改任何文件，退出码 1，逐条指出文件、工作表、行和改法）：
      - 结算流转单里第二张工作表也有申报或订单号；
      - 商家不在订单台账「领用」中（会提示最接近的名称）；
      - 以前月份暂缓、本月再申报的订单，本月和以前月份的 CRM 导出中都没有（会指出需要哪个月的导出）；
      - 订单台账的错误影响本月结算的商家：同一本领用两次、已开+未开+作废超过张数、回收了却没填张数、
        订单本号码重叠等。
    只警告（照常结算，警告也列在结算表的「异常」中）：订单本未回收（罚款在回收后的第一次结算中扣除）、
    以前月份结算过的订单在 CRM 导出中找不到、重新结算的月份之后已有结算。
    本月 CRM 导出中没有的申报订单，会到以前月份的 YYYY-MM/inputs/CRM订单.* 中查找。
    完整说明见项目的 docs/settle.md。

    \b
    可以重复运行：再次结算同一个月会替换该月的结果和登记，不会重复结算订单、重复扣罚款。
    例：kefu-xl settle 2026-11 --dry-run
        kefu-xl settle 2026-11 --explain 100023
        kefu-xl settle 2026-11 --statements
    """

    def announce(outcome):
        counts = {}
        for r in outcome.results:
            counts[r.result] = counts.get(r.result, 0) + 1
        console.print(f"{month_} 结算：{len(outcome.results)} 条申报 → " +
                      "，".join(f"{k} {v} 条" for k, v in counts.items()) +
                      f"；扣除罚款 {len(outcome.inputs.fine_rows)} 笔。")
        for note in outcome.inputs.notes:
            console.print(note)
        for p in outcome.inputs.problems:
            if p.severity is Severity.INFO:
                console.print(f"提示：{p.where()}：{p.message}")
        warned = warnings_of(outcome)
        if warned:
            console.print(f"结算前检查有 {len(warned)} 条警告（不影响结算，请看一看；也列在结算表的「异常」中）：",
                          style="bold yellow")
            show_problems(warned, limit=100)
        if order:
            for line in explain(outcome, order):
                console.print(line)
        if not dry_run:
            console.print(f"将写入 {outcome.output}；订单台账「已结算」新增 {outcome.register_added} 行"
                          f"（替换本月原有的 {outcome.register_replaced} 行）。")

    outcome = settle_month(folder, month_, dry_run=dry_run or bool(order), announce=announce, explain_order=order)
    if order:
        return
    table = settlement_table(outcome, limit=30)
    console.print(table)
    if dry_run:
        console.print("--dry-run：没有写任何文件。")
        return
    console.print(f"已生成 {outcome.output}，已更新 {folder / '订单台账.xlsx'}")
    if statements:
        target = folder / str(month_) / f"商家对帐单_{month_}"
        files = write_statements(outcome, target)
        pdfs = statements_to_pdf(files, target)
        console.print(f"商家对帐单 {len(files)} 份" + (f"，PDF {len(pdfs)} 份" if pdfs else "（未安装 LibreOffice，没有生成 PDF）")
                      + f"：{target}")


@cli.command()
@click.argument("month_", metavar="YYYY-MM", type=MonthType())
@dir_option
@as_of_option
@friendly
def collect(month_: Month, folder: Path, as_of):
    """汇总个人工作簿：读取 YYYY-MM/个人/ 下每个人的工作簿（只读，不会改动它们；正在打开的按最后保存的内容读），
    把各人的工作记录写进团队的 维护跟踪_YYYY-MM.xlsx 的「工作记录」（带「来源」，每次汇总替换；
    直接在团队表里填写、来源为空的行保留），把「我的续费」「我的新客户」中填写的跟进内容写进
    续费跟踪、新客户跟踪（个人工作簿中的空白不会清掉团队表里已有的内容），重算这三张团队表，再重算商务出访.xlsx（汇总「商务回访」）。

    \b
    每人一行：文件、保存时间、记录数、无效记录、今日计划完成情况。
    改过名、放错月份、两本属于同一个人、不是工作簿的文件：指出问题，其他人照常汇总。
    例：kefu-xl collect 2026-11 --dir D:\\客服部
    """
    for n, outcome in enumerate(collect_team(folder, month_, as_of=as_of.date() if as_of else None)):
        figures = outcome.result.figures
        collected = figures.collected if isinstance(figures, MaintenanceFigures) else None
        if n == 0 and collected is None:
            console.print(f"{month_}/个人/ 中没有个人工作簿：只重算了团队表。")
        elif n == 0:
            add_plans(folder, month_, outcome.result.context.config, collected, [a.account_id for a in figures.accounts])
            table = Table(title=f"{month_} 个人工作簿汇总（{len(collected.rows)} 条记录）")
            for header in ("客服", "文件", "保存于", "记录", "无效", "计划（完成/计划）", "说明"):
                table.add_column(header, justify="right" if header in ("记录", "无效") else "left")
            for line in collected.lines:
                plan = "—" if line.plan_total is None else f"{line.plan_done}/{line.plan_total}"
                if line.plan_total is not None and line.plan_day is not None:
                    plan = f"{line.plan_day:%m-%d} {plan}" + ("" if line.plan_day == (as_of.date() if as_of else
                                                                                      date.today()) else "（不是今天的计划）")
                table.add_row(line.owner or "—", line.file, saved_at(line), str(line.records), str(line.problems), plan,
                              ("已跳过：" if line.skipped else "") + line.note)
            console.print(table)
        print_outcome(outcome)
        _print_saved(outcome, outcome.path)


@cli.command()
@dir_option
@friendly
def serve(folder: Path):
    """常驻运行，替大家做每天要敲的命令：在一台能访问共享文件夹的电脑上运行一个就够，客服的电脑什么都不用装。

    每隔 [serve] poll_seconds 秒（默认 10）看一次本月的文件：

    \b
    - 早计划：每个工作日 [serve] plan_at（默认 07:30）起，给每本关闭着的个人工作簿
      （YYYY-MM/个人/*.xlsx）做当天的计划（晚于这个时间启动时马上做）；正开着的等关闭后再做；
      一本一天只做一次。
    - 保存后重算：个人工作簿保存并关闭后，几秒内重算（已完成、我的帐户、每日小结跟上）；
      经理保存的团队表（维护跟踪、续费跟踪、新客户跟踪）同样重算。
    - 汇总：有个人工作簿改动时，最多每 [serve] collect_minutes 分钟（默认 15；0 = 马上）
      做一次 kefu-xl collect。
    - 9:00 消耗监控：YYYY-MM/inputs/消耗/YYYY-MM-DD.xlsx（或 .csv）出现后，对那一天做一次 kefu-xl watch。

    \b
    不碍事：开着的文件（有 ~$ 或 .~lock 锁文件）绝不写；重算期间文件被保存，本次结果作废、稍后重做；
    坏文件、不是个人工作簿的文件记一次日志后跳过，其余照常。
    每个动作一行，显示在这里并写进 工作区/kefu-xl-serve.log；工作区/状态.html 每一轮重写：
    今天每个人的文件保存时间、早计划时间、计划完成数和问题，用浏览器打开即可（每 30 秒自动刷新）。
    停止：Ctrl-C（或 SIGTERM），做完手上的这个文件就退出；再按一次立即退出（文件保持原样）。

    \b
    例：kefu-xl serve --dir D:\\客服部
    开机自动运行（Windows 计划任务、Linux/NAS 的 systemd）见 README「无人值守」。
    """
    run(folder)


@cli.command()
@click.argument("month_", metavar="YYYY-MM", type=MonthType())
@dir_option
@friendly
def remind(month_: Month, folder: Path):
    """为续费跟踪表中跟进中的帐户生成续费提醒文字，写入 YYYY-MM/续费提醒_YYYY-MM.txt，
    每个帐户一段，可直接复制到微信、短信或邮件。

    \b
    文字来自 jinja2 模板：工作区里有 续费提醒.txt.j2 时用它，否则用内置模板
    （workbooks/templates/续费提醒.txt.j2，可复制到工作区后修改）。
    可用变量：客户名称 帐户ID 客服 余额 可投放天数 一月内用完 合同到期日 合同已到期 月份 来源
    （内置模板只在余额一个月内会用完时写「约可投放 N 天」）
    例：kefu-xl remind 2026-11 --dir D:\\客服部
    """
    target, items, source = write_reminders(folder, month_)
    console.print(f"已生成 {len(items)} 条续费提醒（模板：{source}）：{target}")
    if items:
        console.print(items[0].text)


@cli.command()
@click.argument("month_", metavar="YYYY-MM", type=MonthType())
@dir_option
@as_of_option(text="从这一天起找今后 14 天内开始放假的节日；默认今天（别的月份：从该月 1 日起）。")
@click.option("--mask", is_flag=True, help="文件里的手机号也打码（默认文件里是完整手机号，发送时要用；屏幕上总是打码）。")
@friendly
def greet(month_: Month, folder: Path, as_of, mask: bool):
    """节日问候：今后 14 天内（别的月份：该月内和月底后 14 天内）开始放假的每个法定节日（元旦、春节、清明、劳动节、端午、中秋、国庆），
    给客户档案中的每位客户生成一段问候（称呼联系人；按负责客服分组，写明发给谁、手机），
    写到 YYYY-MM/节日问候_YYYY-MM-DD.txt，复制粘贴到微信或短信即可。

    \b
    节日来自 chinesecalendar；库还不知道的年份用 kefu-xl.toml [calendar] 的 holidays 和
    names（如 names = { "2027-02-06" = "春节" }），两处都没有时提示并跳过。
    天数可在 [archive] greet_days_ahead 修改。文字来自 jinja2 模板：工作区里有 节日问候.txt.j2
    时用它，否则用内置模板（workbooks/templates/节日问候.txt.j2，可复制到工作区后修改）。
    可用变量：节日 放假日期 年份 称呼 联系人 客户名称 帐户ID 手机 客服
    例：kefu-xl greet 2026-09 --dir D:\\客服部 --as-of 2026-09-20
    """
    today = date.today()
    whole = as_of is None and not month_.contains(today)     # another month: its holidays and the 14 days after
    start = as_of.date() if as_of else (today if month_.contains(today) else month_.first)
    target, found, items, notes, problems, source = write_greetings(folder, month_, start, mask=mask, whole_month=whole)
    for note in notes:
        console.print(note)
    show_problems(problems)
    if not found:
        console.print(f"{start} 起{'到月底后' if whole else ''} 14 天内没有已知的法定节日开始放假：没有生成问候。")
        return
    for h in found:
        console.print(f"{h.name}：{h.first} 起放假。")
    console.print(f"已生成 {len(items)} 段问候（模板：{source}）：{target}")
    if items:
        first = items[0]
        console.print(f"—— {first.client} 发给：{first.contact} {mask_phone(first.phone)} ——\n{first.text}")


@cli.command()
@click.argument("month_", metavar="YYYY-MM", type=MonthType())
@dir_option
@click.option("--today", "today", is_flag=True, help="不生成任务，只列出现在该拨打的任务（按优先级、时限排序）。")
@click.option("--at", "at", type=click.DateTime(["%Y-%m-%d %H:%M", "%Y-%m-%d"]), default=None, metavar="'YYYY-MM-DD HH:MM'",
              help="把「现在」当作这个时间（YYYY-MM-DD HH:MM），默认当前时间。")
@click.option("--full", is_flag=True, help="显示完整手机号（默认打码：138****1234）。")
@friendly
def calls(month_: Month, folder: Path, today: bool, at, full: bool):
    """家博会话务台回访任务：读取 YYYY-MM/inputs/ 中的 报名.xlsx|csv、呼损.xlsx|csv、签到.xlsx
    （或 签到/ 文件夹中每场活动一个文件）以及工作区的 活动.xlsx，按优先级和时限生成回访任务，
    追加到 YYYY-MM/回访_YYYY-MM.xlsx（已有的任务不重复生成，话务员填写的内容不动）。

    \b
    时限（法定工作日的 9:00–18:00 为工作时间，可在 kefu-xl.toml [callbacks] 修改）：
    - 最高 新网友报名：15 分钟内；非工作时间的，下一个工作日 12:00 前
    - 最高 呼损回拨：下一个查看时间（10:00、13:00、15:00、17:00），17:00 后的到下一个工作日 10:00
    - 高 老网友主场报名：1 小时内；非工作时间同上
    - 高 专场/装大/卖场报名：活动开始前 7 天起，到活动前一个工作日下班前
    - 中 签到未下订 / 签到有下订 / 报名未签到：活动结束后的下一个工作日下班前
    例：kefu-xl calls 2026-11 --dir D:\\客服部
        kefu-xl calls 2026-11 --today          （接电话的人看：现在该拨打哪些）
    """
    now = at or datetime.now()
    if today:
        path = folder / str(month_) / callbacks.file_name(month_)
        if not path.exists():
            raise KefuError(f"还没有 {path}：请先运行 {command(f'calls {month_}', folder)}。")
        outcome = recalc_file(path, write=False, as_of=now.date())
        rows = callbacks.open_tasks(outcome.result, now)
        table = Table(title=f"{now:%Y-%m-%d %H:%M} 待拨打的回访任务（{len(rows)} 个）")
        for header in ("优先级", "时限", "类型", "网友姓名", "手机", "活动场次", "已拨", "任务编号"):
            table.add_column(header)
        for task, attempts in rows:
            late = "（已超时）" if task.deadline < now else ""
            table.add_row(task.priority, f"{task.deadline:%m-%d %H:%M}{late}", task.kind, task.customer,
                          task.phone if full else mask_phone(task.phone), task.event,
                          str(sum(1 for r in attempts.results if r)), task.task_id)
        console.print(table)
        return
    outcome = update_queue(folder, month_, as_of=now)
    for note in outcome.inputs.notes:
        console.print(note)
    show_problems(outcome.inputs.problems)
    console.print(f"新增任务 {outcome.added} 个（已有 {outcome.kept} 个不变），新增来电记录 {outcome.calls_added} 条。")
    print_outcome(RecalcOutcome(outcome.path, outcome.result, outcome.backup, True, []))


@cli.command()
@click.argument("day", metavar="YYYY-MM-DD", type=click.DateTime(["%Y-%m-%d"]))
@dir_option
@friendly
def watch(day, folder: Path):
    """每日消耗监控（每天 9:00）：读取 YYYY-MM/inputs/消耗/YYYY-MM-DD.xlsx（或 .csv，广告平台前一天的导出：
    帐户ID · 消耗 · 余额），与每个帐户之前最近 7 次导出的平均消耗比较，把异常帐户追加到
    YYYY-MM/消耗监控_YYYY-MM.xlsx 的「异常」表（之前的行和填写的 原因/已通知客户/处理记录 不变，
    同一天再运行不会重复）。

    \b
    异常（数字可在 kefu-xl.toml [watch] 修改）：
    - 消耗降为0：平均大于 0，当天消耗为 0
    - 消耗突增 / 消耗骤降：与平均相差超过 ±50%，且至少 100 元
    - 余额不足：余额按平均消耗可投放不足 7 天
    平均按导出文件数算：缺了的日子不算，不足 7 次按已有的；没有更早导出的帐户不判断。
    负责的客服查原因、打电话通知客户；没通知的异常排在自己「今日」计划的最前面。
    例：kefu-xl watch 2026-11-20 --dir D:\\客服部
    """
    outcome = spend_watch.watch_day(folder, day.date())
    show_problems(outcome.problems)
    if outcome.exports_used == 0:
        console.print(f"{outcome.day} 之前没有导出：第一天只记下消耗，从下一次起开始比较。")
    table = Table(title=f"{outcome.day} 消耗异常（{len(outcome.found)} 个帐户，平均用了之前 {outcome.exports_used} 次导出）")
    for header in ("客服", "帐户ID", "消耗", "前7次平均", "余额", "异常"):
        table.add_column(header, justify="right" if header in ("消耗", "前7次平均", "余额") else "left")
    figures = outcome.result.figures if outcome.result is not None else None
    rows = figures.rows if isinstance(figures, WatchFigures) else []
    staff = {(r.day, r.account_id.casefold()): r.staff for r in rows}
    for a in sorted(outcome.found, key=lambda a: (staff.get((a.day, a.account_id.casefold()), ""), a.account_id)):
        table.add_row(staff.get((a.day, a.account_id.casefold())) or "—", a.account_id, f"{a.spend:,.2f}", f"{a.average:,.2f}",
                      "—" if a.balance is None else f"{a.balance:,.2f}", "、".join(a.reasons))
    console.print(table)
    console.print(f"新增 {outcome.added} 行（已有 {outcome.kept} 行不变）。")
    for note in outcome.notes:
        console.print(note)
    print_outcome(RecalcOutcome(outcome.path, outcome.result, outcome.backup, True, []))


@cli.command()
@click.argument("month_", metavar="[YYYY-MM]", required=False)
@click.option("--quarter", default=None, metavar="2026Q4", help="汇总一个季度的三个月（季报）。")
@click.option("--html", is_flag=True, help="另外生成一个可直接发邮件的 HTML 页面（内嵌样式和图形）。")
@dir_option
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
              help="统计截至这一天（工作日数、截至日期都按这一天，与各跟踪表「客服汇总」一致），默认今天；"
                   "超过月末按月末，早于月初按月初。印在表上。")
@click.option("--compare", is_flag=True,
              help="不出表（也不写 --html），只比较：每人每个数字按本月开月时的有效工作规则和按当前 kefu-xl.toml "
                   "的规则各是多少（决定是否 month open --refresh --rules current 之前看）。")
@click.option("--week", default=None, is_flag=False, flag_value="", metavar="[2026-W49]",
              help="周报（ISO 周，周一到周日），写入 周报/周报_2026-W49.xlsx；不写周次 = 上一个完整的周（按 --as-of）。")
@click.option("--force", is_flag=True, help="周报已存档时重新生成并替换它（旧文件先备份）。")
@friendly
def report(month_, quarter, html: bool, folder: Path, as_of, compare: bool, week, force: bool):
    """月度（或季度）绩效提成表：每位客服的维护完成率、有效工作数、日均有效工作、当月续费率、
    丢失客户数、续费到帐金额、续费提成、新客户数、上线达标率，团队合计和签字栏，
    写入 YYYY-MM/绩效提成_YYYY-MM.xlsx（含图表：完成率与 100% 线、续费率、近六个月趋势）。
    当月有网销台账（网销_YYYY-MM.xlsx）时，另有「网销转化」（按渠道）和「网销提成」（按人）两张表。

    \b
    表中每个数字都是对「数据」表的公式，「数据」表是从各跟踪表复制的原始行，文件可单独交给财务核对。
    缺少的跟踪表、有问题的跟踪表会在表上注明。
    月中出表时，日均有效工作按月初到「统计截至」日的工作日数计算（与维护跟踪「客服汇总」相同）。

    \b
    例：kefu-xl report 2026-11
        kefu-xl report 2026-12 --as-of 2026-12-15   （月中：统计到 12 月 15 日）
        kefu-xl report --quarter 2026Q4 --html
        kefu-xl report 2026-11 --compare     （按当前规则重算 11 月会怎样：不写任何文件）
        kefu-xl report --week 2026-W49 --html （周报：每人每天的有效工作、计划、续费、异常，本周问题，见 docs/weekly.md）
    """
    if week is not None:
        return weekly_cli.report_week(folder, week, month_, quarter, html, as_of, compare, force)
    if compare:          # writes nothing: no statement, no --html
        return print_comparison(compare_rules(folder, month_, quarter, as_of.date() if as_of else None), folder)
    made = write_report(folder, month_, quarter, html, as_of.date() if as_of else None)
    target, html_path, data = made.path, made.html, made.data
    console.print(report_table(f"{data.label} 绩效提成（统计截至 {data.as_of}）", summary_rows(data)))
    if data.online:
        console.print(online_summary(data))
    for w in data.warnings:
        console.print(f"注意：{w}", style="yellow")
    for hint in data.hints:
        console.print(f"检查：{hint}")
    console.print(f"已生成 {here(target)}" + (f" 和 {here(html_path)}" if html_path else ""))


@cli.group()
def addin():
    """Excel 加载项（功能区 客服工具 → 重算）：生成、安装、卸载、查看状态。"""


@addin.command("build")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=".", show_default=True,
              help="kefu_xl.xlam 写到哪个文件夹。")
@friendly
def addin_build(out_dir: Path):
    """生成 Excel 加载项 kefu_xl.xlam：以 xlwings 自带的加载项模板为底，功能区换成
    「客服工具 → 重算」（模板里的 VBA 原样保留）。在任何系统上都可以生成。

    \b
    例：kefu-xl addin build --out dist
    """
    console.print(f"已生成 {build_addin(out_dir)}")


@addin.command("install")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=".", show_default=True,
              help="先把 kefu_xl.xlam 生成到哪个文件夹。")
@friendly
def addin_install(out_dir: Path):
    """把加载项装进 Excel 的启动文件夹（用 xlwings 自己的安装方式），并写好设置，
    让 Excel 使用安装了 kefu-xl 的这个 Python。需要 Windows 或 macOS 上的 Excel。

    \b
    例：kefu-xl addin install   （安装后重新打开 Excel，功能区出现「客服工具」）
    """
    addin_path, conf = install(out_dir)
    console.print(f"已安装 {addin_path}；解释器设置写入 {conf}。请重新打开 Excel。")


@addin.command("uninstall")
@friendly
def addin_uninstall():
    """从 Excel 启动文件夹中移除 kefu_xl.xlam（功能区的「客服工具」随之消失，工作簿不受影响）。需要 Windows 或 macOS 上的 Excel。

    \b
    例：kefu-xl addin uninstall
    """
    uninstall()
    console.print("已卸载 kefu_xl.xlam。")


@addin.command("status")
@friendly
def addin_status():
    """显示加载项是否已安装、使用哪个 Python。需要 Windows 或 macOS 上的 Excel。
    按钮没反应时先看这里：没有安装就运行 kefu-xl addin install，Python 不对就在装了 kefu-xl 的环境里重新安装。

    \b
    例：kefu-xl addin status
    """
    for line in status():
        console.print(line)


@cli.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), default="kefu-demo")
@click.option("--dir", "folder_option", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="同 FOLDER（与其他命令的写法一致）。")
@click.option("--full", is_flag=True, help="打印每张表的汇总和全部问题（默认只打印一屏：每个角色一张小表）。")
@friendly
def demo(folder: Path, folder_option, full: bool):
    """用内置演示数据建立工作区 FOLDER（默认 ./kefu-demo）：8 位客服、约 300 个帐户、10 月和 11 月两个月的工作（含故意放入的错误），依次运行开月、汇总、重算、结算和绩效表，打印一屏结果（客服的今日、经理的团队表、财务的结算）和接下来看什么；--full 打印全部。

    \b
    再次运行会清空重建以前的演示文件夹；不是演示生成的文件夹（例如真实的工作区）绝不清空，会提示换一个名字。"""
    run_demo(folder_option or folder, console, full)


journal_cli.add_to(cli, dir_option, MonthType, friendly)       # kefu-xl journal verify / print
click_zh.localise(cli)             # 「[选项] 命令 [参数]...」, 整数 / 文字 for values click names in English


if __name__ == "__main__":  # pragma: no cover
    cli()
