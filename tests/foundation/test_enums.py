"""Labels for enumerations live in one place (jxjd/common/enums.py)."""

from __future__ import annotations

import ast
from pathlib import Path

from jxjd.accounts import models as accounts_models
from jxjd.applications import models as applications_models
from jxjd.bases import models as bases_models
from jxjd.common import enums
from jxjd.evaluations import models as evaluations_models
from jxjd.spotchecks import services as spotchecks_services

JXJD = Path(__file__).resolve().parents[2] / "jxjd"


def test_the_feature_modules_use_the_one_set_of_labels():
    assert evaluations_models.OUTCOMES is enums.EVALUATION_OUTCOMES
    assert evaluations_models.EVALUATION_STATUSES is enums.EVALUATION_STATUSES
    assert evaluations_models.SCORE_ITEMS is enums.SCORE_ITEMS
    assert spotchecks_services.OUTCOMES is enums.SPOT_CHECK_OUTCOMES
    assert applications_models.APPLICATION_STATUSES is enums.APPLICATION_STATUSES
    assert bases_models.CHANGE_STATUSES is enums.CHANGE_STATUSES
    assert accounts_models.ROLES == tuple(enums.ROLES)


def test_label_finds_every_kind_and_falls_back_to_the_value():
    for kind, labels in enums.ALL_LABELS.items():
        for value, text in labels.items():
            assert enums.label(kind, value) == text
    assert enums.label("evaluation_outcome", "unknown") == "unknown"
    assert enums.label("result", None) == ""


def _string_dicts(tree: ast.Module):
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Dict):
            pairs = {}
            for key, value in zip(node.value.keys, node.value.values, strict=True):
                if isinstance(key, ast.Constant) and isinstance(value, ast.Constant):
                    pairs[key.value] = value.value
            yield node.lineno, pairs


def test_no_module_keeps_its_own_copy_of_an_enumerations_labels():
    copies = []
    for path in sorted(JXJD.rglob("*.py")):
        if path.name == "enums.py":
            continue
        for line, pairs in _string_dicts(ast.parse(path.read_text(encoding="utf-8"))):
            for kind, labels in enums.ALL_LABELS.items():
                shared = {k for k, v in pairs.items() if labels.get(k) == v}
                if len(shared) >= 2:
                    copies.append(f"{path.relative_to(JXJD)}:{line} copies {kind}")
    assert copies == []
