"""The public directory: its API (CONTRACT §10) and its pages."""

from __future__ import annotations

from flask import render_template, request

from jxjd.applications.services import applications_on_notice
from jxjd.common.time import local_today
from jxjd.directory import bp
from jxjd.directory.schemas import DirectorySchema
from jxjd.directory.services import directory_bases
from jxjd.evaluations.services import excellent_base_ids
from jxjd.openapi import doc
from jxjd.web import page


@bp.get("/api/v1/directory")
@doc(
    "省级继续教育基地名录（公开；仅已认定、限期整改的基地，及正在公示的申报单位）",
    action="directory.read",
    response=DirectorySchema,
    public=True,
)
def directory():
    """The public directory of bases and of applications on public notice."""
    body = DirectorySchema().dump(
        {"bases": directory_bases(), "on_notice": applications_on_notice()}
    )
    excellent = excellent_base_ids()
    for base in body["bases"]:
        base["excellent"] = base["id"] in excellent  # 第二十二条: shown in the directory
    return body


@bp.get("/directory")
@page("directory.read")
def directory_page():
    """The public directory of provincial bases, with the units now under public notice."""
    query = (request.args.get("q") or "").strip()
    return render_template(
        "directory/index.html",
        bases=directory_bases(query),
        notices=applications_on_notice(),
        query=query,
        excellent=excellent_base_ids(),
    )


@bp.get("/directory/notices")
@page("directory.read")
def notices_page():
    """Units under public notice (公示) before recognition."""
    return render_template(
        "directory/notices.html", notices=applications_on_notice(), today=local_today()
    )
