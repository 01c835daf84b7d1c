"""Diff: nested objects and keyed lists show as leaf paths with before/after, plus a summary."""

from __future__ import annotations

from qm_serving.compute.diff import deep_diff


def test_keyed_lists_diff_by_id_and_report_reordering():
    a = {"overlays": [{"id": "spot", "z": 10}, {"id": "bbo", "z": 20, "params": {"w": 1}}]}
    b = {"overlays": [{"id": "bbo", "z": 20, "params": {"w": 2}}, {"id": "band", "z": 30}]}
    result = deep_diff(a, b)
    assert result.changed[0] == {"path": "$.overlays[id=bbo].params.w", "before": 1, "after": 2}
    assert result.removed == [{"path": "$.overlays[id=spot]", "before": {"id": "spot", "z": 10}}]
    assert result.added == [{"path": "$.overlays[id=band]", "after": {"id": "band", "z": 30}}]
    assert result.unchanged_count == 2


def test_plain_lists_diff_by_index_and_types_matter():
    result = deep_diff({"w": [1, 2, 3], "flag": True}, {"w": [1, 5], "flag": 1})
    assert {"path": "$.w[1]", "before": 2, "after": 5} in result.changed
    assert {"path": "$.flag", "before": True, "after": 1} in result.changed
    assert result.removed == [{"path": "$.w[2]", "before": 3}]


async def test_diff_of_two_versions_is_readable_and_complete(
    client, workspace, as_user, register, register_body
):
    ws = workspace(alice="editor")
    base = register_body("qmdemo_vp")
    changed = register_body("qmdemo_vp", tanh_scale=2.5)
    spot = {"id": "spot", "type": "spot_trail", "label": "Spot", "z_order": 10}
    bands = {
        "id": "bands",
        "type": "projection_bands",
        "label": "Projection",
        "z_order": 30,
        "params": {"signal_field": "flow_score", "composite_scale": 8.0},
    }
    base["serving"]["visualization"] = {"overlays": [spot, bands]}
    wider = {**bands, "params": {**bands["params"], "composite_scale": 4.0}}
    bbo = {"id": "bbo", "type": "bbo_trail", "label": "BBO", "z_order": 20}
    changed["serving"]["visualization"] = {"overlays": [spot, wider, bbo]}
    changed["serving"]["stream_schema"] = [
        f for f in changed["serving"]["stream_schema"] if f["name"] != "a_pull"
    ]
    v1 = await register(ws, "alice", base)
    v2 = await register(ws, "alice", changed)
    response = await client.post(
        "/v1/serving/diff", json={"a": v1, "b": v2}, headers=as_user("alice", ws)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    changed_paths = {c["path"]: (c["before"], c["after"]) for c in body["changed"]}
    assert changed_paths["$.runtime_snapshot.engine.flow_tanh_scale"] == (3.0, 2.5)
    overlay = "$.runtime_snapshot.serving.visualization.overlays"
    assert changed_paths[f"{overlay}[id=bands].params.composite_scale"] == (8, 4)
    removed = [r["path"] for r in body["removed"]]
    assert removed == ["$.runtime_snapshot.serving.stream_schema[name=a_pull]"]
    added = [a["path"] for a in body["added"]]
    assert added == [f"{overlay}[id=bbo]"]
    # the lineage's config hash changes with the content too
    assert set(changed_paths) == {
        "$.lineage.config_hash",
        "$.runtime_snapshot.engine.flow_tanh_scale",
        f"{overlay}[id=bands].params.composite_scale",
    }
    assert body["summary"].startswith(f"{v1} -> {v2}: 1 added, 1 removed, 3 changed, ")
    same = await client.post(
        "/v1/serving/diff", json={"a": v1, "b": v1}, headers=as_user("alice", ws)
    )
    assert same.json()["changed"] == same.json()["added"] == same.json()["removed"] == []
