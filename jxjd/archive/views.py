"""Archive API (CONTRACT §8) and the person and employer pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from jxjd.access import can
from jxjd.archive import bp, exporting, services
from jxjd.archive.schemas import (
    ArchiveQueryArgs,
    ArchiveSchema,
    GrantArgs,
    GrantCreatedSchema,
    GrantListSchema,
    GrantSchema,
    RegistrationSchema,
    ReviewCheckSchema,
    SharedArchiveSchema,
    SharedLookupArgs,
)
from jxjd.auth import current_actor
from jxjd.certificates.qr import render_svg
from jxjd.certificates.services import certificates_of_person, qr_image
from jxjd.common.enums import LEVELS
from jxjd.common.paging import current_page, paged
from jxjd.common.xlsx import XLSX_MIMETYPE, xlsx_response
from jxjd.errors import Gone, NotFound, TooManyRequests, ValidationFailed
from jxjd.forms import FormErrors, place_errors, submit, typed
from jxjd.openapi import Body, doc
from jxjd.people.services import checked_id_number
from jxjd.throttle import Counter, client_key, refuse_if_over
from jxjd.transactions import attempt
from jxjd.web import page

RANGE_QUERY = {"from": "起始年份（默认近三年）", "to": "截止年份（默认当年）"}
REVIEW_QUERY = {"level": "senior | intermediate | junior", "year": "评审年度"}

# Share-code look-ups per client (CONTRACT §12): without an account every look-up counts; with
# an employer or admin account or token only the failed ones (unknown, expired, withdrawn).
SHARE_LOOKUPS = Counter("share-lookups", "JXJD_SHARE_LOOKUP_LIMIT")
SHARE_FAILURES = Counter("share-failures", "JXJD_SHARE_LOOKUP_LIMIT")
SHARE_LIMITED = "查询过于频繁，请 {retry} 秒后再试"


def _me():
    return services.get_person(current_actor())


# ---- API -----------------------------------------------------------------------------------


@bp.get("/api/v1/me/archive")
@doc(
    "本人学时档案（按年度核算）",
    action="archive.own",
    response=ArchiveSchema,
    tags=["archive"],
    query=RANGE_QUERY,
    errors=(422,),
)
def my_archive():
    """The caller's own archive for a range of years."""
    start, end = services.year_range(request.args.get("from"), request.args.get("to"))
    return ArchiveSchema().dump(services.year_summary(_me(), start, end))


@bp.post("/api/v1/archive/query")
@doc(
    "按身份证号查询学时档案（身份证号只在请求体中传递）",
    action="archive.query",
    body=ArchiveQueryArgs,
    response=ArchiveSchema,
    tags=["archive"],
    errors=(404, 422),
)
def query_archive(args: Body):
    """An admin or department reads one person's archive."""
    id_number = checked_id_number(args["id_number"])
    start, end = services.year_range(args["from"], args["to"])
    return ArchiveSchema().dump(services.query_archive(current_actor(), id_number, start, end))


@bp.get("/api/v1/me/review-check")
@doc(
    "职称评审学时核验（按评审年度和层次的年度跨度）",
    action="archive.own",
    response=ReviewCheckSchema,
    tags=["archive"],
    query=REVIEW_QUERY,
    errors=(422,),
)
def my_review_check():
    """Does each year of the review span meet its rule."""
    level, year = services.review_args(request.args.get("level"), request.args.get("year"))
    return ReviewCheckSchema().dump(services.review_check(_me(), level, year))


@bp.post("/api/v1/me/grants")
@doc(
    "授权用人单位查询本人学时档案（单独同意，个人信息保护法第二十三条）",
    action="grant.manage",
    body=GrantArgs,
    response=GrantCreatedSchema,
    status=201,
    tags=["grants"],
    errors=(422,),
)
def create_grant(args: Body):
    """Create a share code limited in years and days; the code is shown only now."""
    start, end = services.year_range(args["from"], args["to"])
    grant, code = services.create_grant(
        current_actor(),
        _me(),
        args["employer_name"],
        start,
        end,
        args["days"],
        employer_credit_code=args["employer_credit_code"],
    )
    body = {
        "id": grant.id,
        "code": code,
        "from": start,
        "to": end,
        "expires_at": grant.expires_at,
        "employer_credit_code": grant.employer_credit_code,
    }
    return GrantCreatedSchema().dump(body)


@bp.get("/api/v1/me/grants")
@paged
@doc("本人授权列表及每次查询记录", action="grant.manage", response=GrantListSchema, tags=["grants"])
def list_grants():
    """Every grant with every access (who, when)."""
    grants = [services.grant_dict(g) for g in services.grants_of(_me(), current_page())]
    return GrantListSchema().dump({"grants": grants})


@bp.delete("/api/v1/me/grants/<code>")
@doc(
    "撤回授权（授权码或授权编号）",
    action="grant.manage",
    response=GrantSchema,
    tags=["grants"],
    errors=(404,),
)
def withdraw_grant(code: str):
    """Withdraw a grant; the code stops working at once."""
    grant = services.withdraw_grant(current_actor(), services.own_grant(_me(), code))
    return GrantSchema().dump(services.grant_dict(grant))


def _shared_lookup(actor, code: str, level, year, viewer=None) -> dict:
    """One share-code look-up under the per-client allowance."""
    client = client_key()
    counter = SHARE_FAILURES if actor is not None else SHARE_LOOKUPS
    refuse_if_over((counter, client))
    if actor is None:
        counter.hit(client)
    try:
        return services.shared_archive(actor, code, level, year, viewer=viewer)
    except (NotFound, Gone):
        if actor is not None:
            counter.hit(client)
        raise


def _no_store(resp):
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/api/v1/shared/<code>")
@doc(
    "用人单位凭授权码查询学时档案（仅授权年度；可附 level、year 做职称评审核验）。"
    "授权码不必放在网址中：推荐使用 POST /api/v1/shared。"
    "绑定统一社会信用代码的授权只有该单位的令牌能打开，其他调用方得到与不存在相同的 404。"
    "查询失败（404、410）每个客户端每分钟最多 10 次，超过后 429。",
    action="grant.lookup",
    response=SharedArchiveSchema,
    tags=["grants"],
    query=REVIEW_QUERY,
    errors=(404, 410, 422, 429),
)
def shared_archive(code: str):
    """The archive a live grant allows; every access is logged for the person."""
    level = year = None
    if request.args.get("level") or request.args.get("year"):
        level, year = services.review_args(request.args.get("level"), request.args.get("year"))
    body = _shared_lookup(current_actor(), code, level, year)
    return _no_store(current_app.json.response(SharedArchiveSchema().dump(body)))


@bp.post("/api/v1/shared")
@doc(
    "凭授权码查询学时档案（无需账号：填写查询单位和查询人，记录并告知本人；"
    "每个客户端每分钟最多 10 次，超过后 429。带用人单位令牌时按该单位查询，无需 viewer）",
    action="grant.lookup",
    body=SharedLookupArgs,
    response=SharedArchiveSchema,
    tags=["grants"],
    public=True,
    identify=True,
    errors=(400, 403, 404, 410, 422, 429),
)
def shared_archive_public(args: Body):
    """The archive a live grant allows, for an employer with or without an account."""
    actor = current_actor(optional=True)
    viewer = services.checked_viewer(args["viewer"]) if actor is None else None
    level = year = None
    if args["level"] or args["year"]:
        level, year = services.review_args(args["level"], args["year"])
    body = _shared_lookup(actor, args["code"], level, year, viewer)
    return _no_store(current_app.json.response(SharedArchiveSchema().dump(body)))


def _registration_xlsx(data: dict) -> Response:
    return xlsx_response(exporting.registration_xlsx(data), f"registration-{data['year']}.xlsx")


@bp.get("/api/v1/me/registration/<int:year>")
@doc(
    "本人年度继续教育登记（登记证书条目；?format=xlsx 下载表格）",
    action="archive.own",
    response=RegistrationSchema,
    tags=["archive"],
    query={"format": "json（默认）或 xlsx"},
    errors=(422,),
)
def my_registration(year: int):
    """The year's entries as the registration certificate lists them."""
    data = services.registration_entries(_me(), year)
    if request.args.get("format") == "xlsx":
        return _registration_xlsx(data)
    return RegistrationSchema().dump(data)


@bp.get("/api/v1/me/registration/<int:year>.xlsx")
@doc(
    "本人年度继续教育登记（xlsx）",
    action="archive.own",
    tags=["archive"],
    content=XLSX_MIMETYPE,
    errors=(422,),
)
def my_registration_xlsx(year: int):
    """The year's entries as an .xlsx workbook."""
    return _registration_xlsx(services.registration_entries(_me(), year))


# ---- pages ---------------------------------------------------------------------------------


@bp.get("/me")
@page("archive.own")
def me_page():
    """My certificates, each with its printable page and QR code."""
    person = _me()
    certs = certificates_of_person(person.id)
    qrs = {c.serial: qr_image(c, "svg").decode() for c in certs}
    return render_template("archive/me.html", person=person, certs=certs, qrs=qrs)


def _chart(years: list[dict]) -> dict:
    """Geometry of the inline SVG bar chart: 公需 and 专业 bars per year against the required lines."""
    height, slot, left = 200, 90, 40
    top = 1.1 * max(
        [100.0]
        + [float(y[k]) for y in years for k in ("general_hours", "professional_hours")]
        + [float(y["required"][k]) for y in years for k in ("general", "professional")]
    )

    def y_of(hours) -> float:
        return round(height - float(hours) / top * height, 1)

    bars = []
    for i, y in enumerate(years):
        x = left + i * slot + 10
        bars.append(
            {
                "year": y["year"],
                "x": x,
                "compliant": y["compliant"],
                "general": {"y": y_of(y["general_hours"]), "hours": y["general_hours"]},
                "professional": {
                    "y": y_of(y["professional_hours"]),
                    "hours": y["professional_hours"],
                },
                "req_general": y_of(y["required"]["general"]),
                "req_professional": y_of(y["required"]["professional"]),
            }
        )
    ticks = [{"y": y_of(t), "label": t} for t in range(0, int(top) + 1, 30)]
    return {
        "height": height,
        "width": left + slot * len(years) + 10,
        "left": left,
        "bars": bars,
        "ticks": ticks,
    }


@bp.get("/me/archive")
@page("archive.own")
def me_archive_page():
    """My archive, with a chart of each year's hours against the rule."""
    try:
        start, end = services.year_range(request.args.get("from"), request.args.get("to"))
    except ValidationFailed as exc:
        flash(exc.detail, "error")
        start, end = services.year_range(None, None)
    person = _me()
    data = services.year_summary(person, start, end)
    review, review_errors = _my_review(person)
    return render_template(
        "archive/archive.html",
        data=data,
        chart=_chart(data["years"]),
        review=review,
        review_errors=review_errors,
        typed={k: request.args.get(k, "") for k in ("level", "year")},
        levels=LEVELS,
    )


def _my_review(person) -> tuple[dict | None, list[dict]]:
    """The 职称评审 check the person asked for on the archive page (?level=&year=), if any."""
    if not (request.args.get("level") or request.args.get("year")):
        return None, []
    try:
        level, year = services.review_args(request.args.get("level"), request.args.get("year"))
    except ValidationFailed as exc:
        return None, exc.errors or []
    return services.review_check(person, level, year), []


def _grant_from_form(person) -> str | None:
    """Withdraw a grant (None) or create one (its new code), as the page form asks."""
    form = request.form
    if form.get("action") == "withdraw":
        services.withdraw_grant(current_actor(), services.own_grant(person, form["id"]))
        return None
    try:
        days = int(form.get("days") or 30)
    except ValueError:
        days = 0
    start, end = services.year_range(form.get("from"), form.get("to"))
    _, code = services.create_grant(
        current_actor(),
        person,
        form.get("employer_name", ""),
        start,
        end,
        days,
        employer_credit_code=form.get("employer_credit_code"),
    )
    return code


GRANT_LABELS = {
    "employer_name": "用人单位名称",
    "employer_credit_code": "用人单位统一社会信用代码",
    "from": "起始年份",
    "to": "截止年份",
    "days": "有效天数",
}
NEW_GRANT_CODE = "jxjd_new_grant_code"  # shown once, on the page the create redirects to


def _grants_html(person, new_code: str | None, errors: FormErrors | None) -> str:
    grants = [services.grant_dict(g) for g in services.grants_of(person)]
    share_link = share_qr = None
    if new_code is not None:
        # The code travels in the fragment: it never reaches a server log or a Referer header.
        base = current_app.config["JXJD_PUBLIC_URL"].rstrip("/")
        share_link = f"{base}{url_for('archive.shared_page')}#c={new_code}"
        share_qr = render_svg(share_link).decode().split("?>", 1)[-1]
    return render_template(
        "archive/grants.html",
        grants=grants,
        new_code=new_code,
        share_link=share_link,
        share_qr=share_qr,
        typed=typed({"days": 30}, keys=GRANT_LABELS),
        errors=errors or FormErrors(),
    )


@bp.route("/me/grants", methods=["GET", "POST"])
@page("grant.manage")
def me_grants_page():
    """Create, list and withdraw my share codes; see who used them."""
    person = _me()
    if request.method == "GET":
        return _grants_html(person, session.pop(NEW_GRANT_CODE, None), None)

    def done(code: str | None):
        if code is None:
            flash("已撤回授权", "success")
        else:
            # Post/redirect/get: a reload of the next page makes no second code.
            session[NEW_GRANT_CODE] = code
            flash("已生成授权码", "success")
        return redirect(url_for("archive.me_grants_page"))

    return submit(
        lambda: _grant_from_form(person),
        done=done,
        again=lambda errors: _grants_html(person, None, errors),
        place=GRANT_LABELS,
    )


@bp.get("/me/registration/<int:year>")
@page("archive.own")
def me_registration_page(year: int):
    """The year's registration entries, printable on A4."""
    return render_template(
        "archive/registration.html", data=services.registration_entries(_me(), year)
    )


@bp.get("/me/registration/<int:year>.xlsx")
@page("archive.own")
def me_registration_xlsx_page(year: int):
    """The year's registration entries as .xlsx (signed-in page download)."""
    return _registration_xlsx(services.registration_entries(_me(), year))


def _shared_from_form(actor) -> dict:
    """A look-up from the page form: as the signed-in employer, or as the declared viewer."""
    form = request.form
    viewer = None
    if actor is None:
        viewer = services.checked_viewer(
            {"unit": form.get("viewer_unit"), "name": form.get("viewer_name")}
        )
    level = year = None
    if form.get("level") and form.get("year"):
        level, year = services.review_args(form.get("level"), form.get("year"))
    return _shared_lookup(actor, form.get("code", ""), level, year, viewer)


SHARED_LABELS = {
    "code": "授权码",
    "viewer_unit": "查询单位",
    "viewer_name": "查询人姓名",
    "level": "职称评审层次",
    "year": "评审年度",
}


def _shared_place(error: Mapping[str, Any]) -> tuple[str, str] | None:
    """The /shared form's inputs for the look-up's errors (the viewer is `viewer.unit` there)."""
    name = (error.get("field") or "").replace("viewer.", "viewer_")
    return (name, SHARED_LABELS[name]) if name in SHARED_LABELS else None


@bp.route("/shared", methods=["GET", "POST"])
@page("grant.lookup")
def shared_page():
    """An employer enters a share code (never in the URL) and sees the granted years.

    Employer and admin accounts look up as themselves; anyone else says which unit and who
    they are, and that is what the person sees in their access list.
    """
    data = problem = None
    headers: dict[str, str] = {}
    actor = current_actor(optional=True)
    signed_in = actor is not None and can(actor, "grant.lookup")
    if request.method == "POST":
        data, problem = attempt(lambda: _shared_from_form(actor if signed_in else None))
        if isinstance(problem, TooManyRequests):
            retry = problem.extra.get("retry_after", 60)
            problem = TooManyRequests(SHARE_LIMITED.format(retry=retry))
            headers["Retry-After"] = str(retry)
    page_html = render_template(
        "archive/shared.html",
        data=data,
        errors=place_errors(problem, _shared_place),
        signed_in=signed_in,
        form=typed(keys=("code", "viewer_unit", "viewer_name", "level", "year")),
    )
    status = problem.status if problem is not None else 200
    resp = current_app.make_response((page_html, status, headers))
    return _no_store(resp)
