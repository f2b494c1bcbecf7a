"""A base's whole job on the pages only, at 1366×768 (ISSUE11 "Done when"): a five-item plan filed
after a failed first try (every value kept), the returned version edited and resubmitted, a
session created, a roster uploaded with its progress shown, a record corrected, the class's PDF
downloaded. The department and the province act through their services in between. On every
page: a screenshot in test-artifacts/, axe-core with 0 violations, no sideways scrolling.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from rq import SimpleWorker

from jxjd.auth import CLI
from jxjd.certificates.models import Certificate
from jxjd.extensions import db
from jxjd.jobs.services import QUEUE_NAME, queue, work
from jxjd.plans import services as plans
from jxjd.plans.models import Plan
from tests.browser.axe import axe_violations
from tests.browser.test_plan_editor import FIXED, ITEMS, fill_item, shown_item
from tests.fixtures.attendance import roster_xlsx, trainee, trainees
from tests.fixtures.auth import TEST_PASSWORD
from tests.fixtures.plans import dept_actor
from tests.fixtures.servers import throwaway_redis
from tests.printing import poppler

pytestmark = pytest.mark.browser

DESK = {"viewport": {"width": 1366, "height": 768}, "locale": "zh-CN"}


@pytest.fixture
def desk_page(browser, csp_violations):
    """A page at the base's desktop viewport; CSP violations fail the test."""
    from tests.browser.conftest import CSP_LISTENER

    context = browser.new_context(**DESK, accept_downloads=True)
    context.expose_function("__cspViolation", lambda text: csp_violations.append(text))
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        yield page
    finally:
        context.close()
    assert csp_violations == [], "Content-Security-Policy violations"


@pytest.fixture
def listening_worker(app, tmp_path_factory, monkeypatch) -> Iterator[None]:
    """The app's jobs on a throwaway Redis with a worker registered (it runs in this thread)."""
    with throwaway_redis(tmp_path_factory.mktemp("walk-redis")) as url:
        monkeypatch.setitem(app.config, "JXJD_JOBS_REDIS", url)
        conn = redis.Redis.from_url(url)
        for key in conn.scan_iter(f"rq:*{QUEUE_NAME}*"):
            conn.delete(key)
        worker = SimpleWorker([queue()], connection=queue().connection)
        worker.register_birth()
        try:
            yield
        finally:
            worker.register_death()


class Walk:
    """The pages of one walk: each step screenshotted and checked the same way."""

    def __init__(self, page, artifacts: Path) -> None:
        self.page, self.artifacts, self.step = page, artifacts, 0

    def check(self, name: str) -> None:
        """A screenshot; no axe-core violation; nothing wider than the window."""
        self.step += 1
        path = self.artifacts / f"base-walk-{self.step:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        assert axe_violations(self.page) == [], name
        wide = self.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert wide <= 0, f"{name} scrolls sideways by {wide}px"


def _plan() -> Plan:
    db.session.remove()
    return db.session.scalars(sa.select(Plan)).one()


def test_a_base_walks_its_whole_job_on_the_pages(
    app,
    create_base,
    make_account,
    live_url,
    desk_page,
    artifacts,
    listening_worker,
    tmp_path,
):
    base = create_base(name="湖南某某职业技术学院继续教育学院")
    make_account("base", username="walk-base", base_id=base.id)
    page, walk = desk_page, Walk(desk_page, artifacts)
    page.goto(f"{live_url}/login?next=/plans")
    walk.check("login")
    page.fill("#username", "walk-base")
    page.fill("#password", TEST_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/plans")
    walk.check("plans")

    # 1. A five-item plan for 2026: refused at first (two items outside the base's scope), every
    # value kept; fixed and saved; submitted.
    page.fill("#new-year", "2026")
    page.click("text=新建计划")
    page.wait_for_url("**/plans/new?year=2026")
    for _ in range(4):
        page.click("button[data-add=items]")
    for i, values in enumerate(ITEMS):
        fill_item(page, i, values)
    page.click("button.primary[value=save]")
    page.wait_for_load_state()
    for i, values in enumerate(ITEMS):
        assert shown_item(page, i) == values, f"row {i + 1}"
    assert "第 3 项的培训层次" in page.locator("#form-errors").inner_text()
    walk.check("plan-refused-values-kept")
    for i, fix in FIXED.items():
        for key, value in fix.items():
            page.select_option(f"#{key}_{i}", value)
    page.click("button.primary[value=save]")
    page.wait_for_url("**/plans")
    assert "5 个项目）已保存草稿" in page.locator(".flash").inner_text()
    plan = _plan()
    page.click(f"#plan-{plan.id} button.primary")
    page.wait_for_url("**/plans")
    walk.check("plan-submitted")

    # 2. The department returns it; the base edits the returned version and resubmits.
    returned = _plan()
    plans.review_plan(
        dept_actor(returned.base), returned, approve=False, comment="第1项学时偏多，请调整"
    )
    db.session.commit()
    page.reload()
    assert "第1项学时偏多，请调整" in page.locator(f"#plan-{plan.id} .return-opinion").inner_text()
    walk.check("plan-returned")
    page.click(f"#plan-{plan.id} >> text=修改")
    page.wait_for_url(f"**/plans/{plan.id}/edit")
    page.fill("#hours_0", "24")
    walk.check("plan-edit-returned")
    page.click("button[value=submit]")
    page.wait_for_url("**/plans")
    assert "已保存并提交主管部门审核" in page.locator(".flash").inner_text()
    resubmitted = _plan()
    plans.review_plan(dept_actor(resubmitted.base), resubmitted, approve=True, comment="同意")
    plans.file_plan(CLI, resubmitted)
    db.session.commit()
    assert _plan().status == "filed"

    # 3. A session under the first item (the item fills in what the session shares with it).
    page.goto(f"{live_url}/sessions")
    walk.check("sessions")
    item = _plan().items[0]
    page.select_option("#plan_item_id", str(item.id))
    assert page.input_value("#hours") == "24"
    page.fill("#title", "人工智能应用高级研修班（第一期）")
    page.fill("#start_date", "2026-11-02")
    page.fill("#end_date", "2026-11-04")
    page.click("button:has-text('检查并登记')")
    page.wait_for_url("**/sessions")
    assert "已登记培训班次" in page.locator(".flash").inner_text()
    page.click("td a:has-text('人工智能应用高级研修班（第一期）')")
    page.wait_for_url("**/sessions/*")
    session_url = page.url
    walk.check("session-empty")

    # 4. The roster goes through a job: the progress bar shows until the worker is done.
    people = [trainee(name="张珊")] + trainees(3)
    roster = tmp_path / "学员名单.xlsx"
    roster.write_bytes(roster_xlsx(people))
    page.set_input_files("#file", str(roster))
    page.click("form[data-upload-job] button[type=submit]")
    progress = page.locator("#upload-progress")
    progress.wait_for(state="visible")
    # Across and queued ("文件已上传，等待处理", then "已排队，等待处理") until a worker runs it.
    page.locator("#upload-progress-text", has_text="等待处理").wait_for()
    assert progress.evaluate("e => e.value") >= 20  # the file is across: a fifth of the bar
    assert page.locator("label[for=upload-progress]").inner_text() == "上传与处理进度"
    walk.check("upload-progress")
    work(burst=True)
    db.session.remove()
    page.wait_for_url("**job=*")
    assert "签发证书 4 张" in page.locator("#result").inner_text().replace("\n", " ")
    walk.check("upload-result")

    # 5. A record corrected: the old certificate revoked, a new one issued and linked.
    row = page.locator("tr", has_text="张珊")
    old_serial = row.locator("a[href^='/certificates/']").first.inner_text()
    row.locator("a", has_text="更正").click()
    page.wait_for_url("**/correct")
    walk.check("correct-form")
    page.fill("#name", "张三")
    page.fill("#hours", "30")
    page.fill("#reason", "姓名录入错误，学时按实际出勤")
    page.click("button:has-text('更正并换发新证书')")
    page.wait_for_load_state()
    assert page.input_value("#name") == "张三" and page.input_value("#hours") == "30"
    assert "超过本班次" in page.locator("#hours-error").inner_text()
    walk.check("correct-refused-values-kept")
    page.fill("#hours", "20")
    page.click("button:has-text('更正并换发新证书')")
    page.wait_for_url(session_url)
    assert f"旧证书 {old_serial} 已撤销" in page.locator(".flash").inner_text()
    walk.check("session-corrected")
    db.session.remove()
    new_serial = db.session.scalar(
        sa.select(Certificate.serial).where(Certificate.replaces_id.is_not(None))
    )
    page.goto(f"{live_url}/v/{old_serial}")
    assert "证书已撤销" in page.locator("h1").inner_text()
    assert page.locator(f"a[href='/v/{new_serial}']").count() == 1
    walk.check("verify-old-certificate")

    # 6. The class's certificates as one PDF (rendered by a job, its progress shown): one page
    # per current certificate.
    page.goto(session_url)
    page.click("text=打印本班全部证书（PDF）")
    page.locator("#pdf-progress-text", has_text="等待生成").wait_for()
    assert page.locator("label[for=pdf-progress]").inner_text() == "证书 PDF 生成进度"
    walk.check("pdf-progress")
    with page.expect_download() as info:
        work(burst=True)
        db.session.remove()
    data = Path(info.value.path()).read_bytes()
    assert data.startswith(b"%PDF-")
    poppler.require_poppler()
    assert poppler.page_count(data) == len(people)


def test_without_a_worker_the_upload_form_posts_and_the_pdf_downloads_as_before(
    open_session, make_account, live_url, desk_page, artifacts, tmp_path
):
    target = open_session()
    make_account("base", username="sync-base", name=target.base.name, base_id=target.base.id)
    page = desk_page
    page.goto(f"{live_url}/login?next=/sessions/{target.id}")
    page.fill("#username", "sync-base")
    page.fill("#password", TEST_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"**/sessions/{target.id}")
    roster = tmp_path / "名单.xlsx"
    roster.write_bytes(roster_xlsx(trainees(2)))
    page.set_input_files("#file", str(roster))
    with page.expect_response(lambda r: r.url.endswith("/upload-job")) as tried:
        page.click("form[data-upload-job] button[type=submit]")
    assert tried.value.status == 503  # no worker: nothing started, the form itself is posted
    page.locator("#result").wait_for()
    assert "签发证书 2 张" in page.locator("#result").inner_text().replace("\n", " ")
    assert "job=" not in page.url
    page.screenshot(path=str(artifacts / "base-upload-without-worker.png"), full_page=True)

    # The print button too: no worker, so its script follows the link (the PDF made at once).
    with page.expect_download() as info:
        page.click("text=打印本班全部证书（PDF）")
    assert Path(info.value.path()).read_bytes().startswith(b"%PDF-")
    assert page.locator("#pdf-progress-box").is_hidden()
