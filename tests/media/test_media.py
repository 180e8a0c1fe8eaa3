"""Media library: upload -> temporary -> attached, cleanup, signed downloads, failover, S3."""

from __future__ import annotations

import io
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import func, select, text

from app.audit.models import AuditLog
from app.core.models import utcnow
from app.core.tasks import enqueue
from app.extensions import db
from app.media.models import Media
from tests.conftest import jwt_headers
from tests.media_fixtures import png_bytes, s3_url

TEXT = "ملاحظات الدرس — lesson notes\n".encode()


def _upload(client, headers, files, kind="assignment_submission", **form):
    data = {"kind": kind, **form, "file": [(io.BytesIO(content), name) for name, content in files]}
    return client.post("/api/v1/media/upload", data=data, headers=headers, content_type="multipart/form-data")


def _student(app, user_factory):
    user_id, username = user_factory("Student")
    return user_id, jwt_headers(app.test_client(), username)


def _row(app, media_id):
    with app.app_context():
        return (
            db.session.execute(text("SELECT * FROM media WHERE id = :id"), {"id": media_id}).mappings().one()
        )


def test_upload_is_temporary_then_attached_becomes_permanent(app, client, user_factory, media_config):
    user_id, headers = _student(app, user_factory)
    response = _upload(client, headers, [("photo.png", png_bytes())], kind="avatar")
    assert response.status_code == 201, response.json
    media = response.json["result"][0]
    assert media["is_temporary"] and media["expires_at"]
    assert (media["mime_type"], media["width"], media["height"]) == ("image/png", 640, 480)
    row = _row(app, media["id"])
    stored = media_config / row["storage_path"]
    assert stored.is_file() and stored.read_bytes()[:4] == b"\x89PNG"
    assert "photo" not in row["storage_path"]  # the server names the file
    assert abs((row["expires_at"] - utcnow()) - timedelta(hours=24)) < timedelta(minutes=1)
    thumbs = row["metadata"]["thumbnails"]
    assert set(thumbs) == {"128x128", "512x512"}
    assert (media_config / thumbs["128x128"]["path"]).is_file()

    attached = client.post(
        f"/api/v1/media/{media['id']}/attach",
        json={"owner_type": "user", "owner_id": user_id},
        headers=headers,
    )
    assert attached.status_code == 200, attached.json
    row = _row(app, media["id"])
    assert not row["is_temporary"] and row["expires_at"] is None
    assert (row["mediable_type"], row["mediable_id"]) == ("user", user_id)


def test_attaching_to_something_you_may_not_change_is_refused(app, client, user_factory, media_config):
    _, headers = _student(app, user_factory)
    other_id, _ = user_factory("Student")
    media_id = _upload(client, headers, [("notes.txt", TEXT)]).json["ids"][0]
    refused = client.post(
        f"/api/v1/media/{media_id}/attach", json={"owner_type": "user", "owner_id": other_id}, headers=headers
    )
    assert refused.status_code == 403
    assert _row(app, media_id)["is_temporary"]
    direct = _upload(client, headers, [("notes.txt", TEXT)], owner_type="user", owner_id=str(other_id))
    assert direct.status_code == 403
    unknown = _upload(client, headers, [("notes.txt", TEXT)], owner_type="planet", owner_id="1")
    assert unknown.status_code == 404


def test_bulk_upload_is_all_or_nothing(app, client, user_factory, media_config):
    _, headers = _student(app, user_factory)
    ok = _upload(client, headers, [("a.png", png_bytes()), ("b.txt", TEXT)])
    assert ok.status_code == 201 and len(ok.json["ids"]) == 2
    with app.app_context():
        before = db.session.scalar(select(db.func.count()).select_from(Media))
    files_before = sorted(p for p in media_config.rglob("*") if p.is_file())
    bad = _upload(client, headers, [("c.png", png_bytes()), ("evil.pdf", b"<html><script>x</script></html>")])
    assert bad.status_code == 422
    assert "evil.pdf" in bad.json["errors"]["files"]
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Media)) == before
    assert sorted(p for p in media_config.rglob("*") if p.is_file()) == files_before


def test_expired_temporary_uploads_are_removed_by_the_task(app, client, user_factory, media_config):
    _, headers = _student(app, user_factory)
    old_id, fresh_id = _upload(client, headers, [("old.txt", TEXT), ("fresh.txt", TEXT)]).json["ids"]
    with app.app_context():
        old = db.session.get(Media, old_id)
        old.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        old_path = media_config / old.storage_path
        assert enqueue("app.media.tasks.remove_expired_temporary_media") == 1
        row = _row(app, old_id)
        assert row["is_deleted"] and not old_path.exists()
        assert not _row(app, fresh_id)["is_deleted"]
        audit = db.session.scalars(
            select(AuditLog)
            .where(AuditLog.entity_type == "media", AuditLog.entity_id == old_id)
            .order_by(AuditLog.id)
        ).all()
    assert [(a.action.code, a.actor_label) for a in audit][-1] == (
        "deleted",
        "system:remove_expired_temporary_media",
    )


def test_signed_links_serve_the_file_count_and_audit(app, client, user_factory, media_config):
    user_id, headers = _student(app, user_factory)
    media_id = _upload(client, headers, [("تقرير الدرس.txt", TEXT)]).json["ids"][0]
    link = client.post(f"/api/v1/media/{media_id}/link", json={}, headers=headers)
    assert link.status_code == 200 and link.json["expires_in"] == app.config["MEDIA_LINK_SECONDS"]
    response = client.get(link.json["url"])
    assert response.status_code == 200
    assert response.data == TEXT
    assert response.mimetype == "text/plain"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    client.get(link.json["url"])
    row = _row(app, media_id)
    assert row["download_count"] == 2
    with app.app_context():
        downloads = db.session.scalars(
            select(AuditLog).where(AuditLog.entity_type == "media", AuditLog.entity_id == media_id)
        ).all()
    assert [a.actor_id for a in downloads if a.action.code == "downloaded"] == [user_id, user_id]


def test_inline_preview_only_for_images(app, client, user_factory, media_config):
    _, headers = _student(app, user_factory)
    image_id, text_id = _upload(client, headers, [("p.png", png_bytes()), ("t.txt", TEXT)]).json["ids"]
    image = client.get(
        client.post(f"/api/v1/media/{image_id}/link", json={"inline": True}, headers=headers).json["url"]
    )
    assert image.headers["Content-Disposition"].startswith("inline;")
    assert image.mimetype == "image/png"
    text_file = client.get(
        client.post(f"/api/v1/media/{text_id}/link", json={"inline": True}, headers=headers).json["url"]
    )
    assert text_file.headers["Content-Disposition"].startswith("attachment;")
    thumb = client.post(f"/api/v1/media/{image_id}/link", json={"variant": "128x128"}, headers=headers)
    served = client.get(thumb.json["url"])
    assert served.mimetype == "image/webp" and served.data[:4] == b"RIFF"
    assert _row(app, image_id)["download_count"] == 1  # thumbnails are not downloads


def test_tampered_and_expired_links_are_refused(app, client, user_factory, media_config, monkeypatch):
    _, headers = _student(app, user_factory)
    first, second = _upload(client, headers, [("a.txt", TEXT), ("b.txt", b"other file\n")]).json["ids"]
    url = client.post(f"/api/v1/media/{first}/link", json={}, headers=headers).json["url"]
    token = url.rsplit("/", 1)[1]
    payload, _, signature = token.partition(".")
    assert client.get(url[: -len(token)] + payload[:-2] + "xx." + token.split(".", 1)[1]).status_code == 403
    assert client.get(url + "x").status_code == 403
    second_url = client.post(f"/api/v1/media/{second}/link", json={}, headers=headers).json["url"]
    # splicing the signature of one link onto the payload of another never reaches a file
    spliced = second_url.rsplit("/", 1)[1].split(".", 1)[0] + "." + token.split(".", 1)[1]
    assert client.get("/media/" + spliced).status_code == 403
    monkeypatch.setitem(app.config, "MEDIA_LINK_SECONDS", -1)
    assert client.get(url).status_code == 403
    assert signature  # the token really is signed


def test_links_follow_the_owner_rule(app, client, user_factory, media_config):
    owner_id, owner = _student(app, user_factory)
    _, stranger = _student(app, user_factory)
    _, admin_name = user_factory("Admin")
    admin = jwt_headers(app.test_client(), admin_name)
    media_id = _upload(client, owner, [("a.txt", TEXT)]).json["ids"][0]
    assert client.post(f"/api/v1/media/{media_id}/link", json={}, headers=stranger).status_code == 403
    assert client.post(f"/api/v1/media/{media_id}/link", json={}, headers=admin).status_code == 200
    assert client.get(f"/api/v1/media/{media_id}", headers=stranger).status_code == 404  # rows are scoped too
    client.post(
        f"/api/v1/media/{media_id}/attach", json={"owner_type": "user", "owner_id": owner_id}, headers=owner
    )
    # attached to a profile, which signed-in users may see
    assert client.post(f"/api/v1/media/{media_id}/link", json={}, headers=stranger).status_code == 200


def test_uploads_are_rate_limited_per_ip(app, client, user_factory, media_config, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_UPLOAD_RATE_LIMIT", "2 per minute")
    _, headers = _student(app, user_factory)
    statuses = [_upload(client, headers, [("a.txt", TEXT)]).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]


def test_every_file_counts_against_the_upload_limit(app, client, user_factory, media_config, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_UPLOAD_RATE_LIMIT", "2 per minute")
    _, headers = _student(app, user_factory)
    three = _upload(client, headers, [("a.txt", TEXT), ("b.txt", TEXT), ("c.txt", TEXT)])
    assert three.status_code == 429
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Media)) == 0


def test_staff_kinds_are_refused_to_students(app, client, user_factory, media_config):
    _, student = _student(app, user_factory)
    refused = _upload(client, student, [("a.txt", TEXT)], kind="course_material")
    assert refused.status_code == 403
    _, instructor_name = user_factory("Instructor")
    instructor = jwt_headers(app.test_client(), instructor_name)
    assert _upload(client, instructor, [("a.txt", TEXT)], kind="course_material").status_code == 201


def test_failover_when_the_primary_provider_fails(
    app, client, user_factory, media_config, s3_endpoint, tmp_path, monkeypatch
):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the primary folder should be")
    monkeypatch.setitem(app.config, "STORAGE_URL", f"osfs://{blocker}/media")
    monkeypatch.setitem(app.config, "STORAGE_FAILOVER_URLS", [s3_url(s3_endpoint, "failover")])
    _, headers = _student(app, user_factory)
    media_id = _upload(client, headers, [("a.txt", TEXT)]).json["ids"][0]
    with app.app_context():
        assert db.session.get(Media, media_id).provider.code == "minio"
    url = client.post(f"/api/v1/media/{media_id}/link", json={}, headers=headers).json["url"]
    redirect = client.get(url)
    assert redirect.status_code == 302
    location = redirect.headers["Location"]
    assert urlsplit(location).netloc == urlsplit(s3_endpoint).netloc and "Signature" in location
    assert requests.get(location, timeout=10).content == TEXT


def test_s3_primary_stores_reads_and_makes_thumbnails(
    app, client, user_factory, media_config, s3_endpoint, monkeypatch
):
    monkeypatch.setitem(app.config, "STORAGE_URL", s3_url(s3_endpoint, "primary", provider="s3"))
    _, headers = _student(app, user_factory)
    media_id = _upload(client, headers, [("p.png", png_bytes((300, 200)))]).json["ids"][0]
    row = _row(app, media_id)
    assert set(row["metadata"]["thumbnails"]) == {"128x128", "512x512"}
    url = client.post(f"/api/v1/media/{media_id}/link", json={"inline": True}, headers=headers).json["url"]
    fetched = requests.get(client.get(url).headers["Location"], timeout=10)
    assert fetched.status_code == 200 and fetched.content[:4] == b"\x89PNG"


def test_s3_primary_down_fails_over_to_local(app, client, user_factory, media_config, monkeypatch):
    monkeypatch.setitem(
        app.config, "STORAGE_URL", "s3://k:s@down?endpoint_url=http://127.0.0.1:9&provider=s3"
    )
    monkeypatch.setitem(app.config, "STORAGE_FAILOVER_URLS", [f"osfs://{media_config}"])
    _, headers = _student(app, user_factory)
    media_id = _upload(client, headers, [("a.txt", TEXT)]).json["ids"][0]
    row = _row(app, media_id)
    assert (media_config / row["storage_path"]).read_bytes() == TEXT


def test_library_screen_and_storage_browser_are_for_admins(app, client, user_factory, login_as, media_config):
    _, headers = _student(app, user_factory)
    _upload(client, headers, [("shown.png", png_bytes())])
    admin = login_as("Admin")
    page = admin.get("/mediamodelview/list/?_flt_0_kind=assignment_submission").get_data(as_text=True)
    assert "shown.png" in page and '<img src="/media/' in page
    browser = admin.get("/admin/storage/")
    assert browser.status_code == 302 and browser.headers["Location"].endswith("/admin/files/local/")
    assert admin.get("/admin/files/local/").status_code == 200
    student = login_as("Student")
    assert student.get("/mediamodelview/list/").status_code == 403
    assert student.get("/admin/storage/").status_code == 403
    assert student.get("/admin/files/local/").status_code == 403
    assert student.get("/admin/files/").status_code == 403
    assert app.test_client().get("/admin/files/").status_code == 403  # anonymous too


def test_configured_providers_are_recorded_in_their_lookups(app, media_config, s3_endpoint, monkeypatch):
    from app.lookups.models import Lookup
    from app.lookups.services import lookup_id
    from app.media.services import sync_provider_lookups

    monkeypatch.setitem(app.config, "STORAGE_FAILOVER_URLS", [s3_url(s3_endpoint, "records")])
    with app.app_context():
        sync_provider_lookups()
        local = db.session.get(Lookup, lookup_id("storage_providers", "local")).meta["settings"]
        minio = db.session.get(Lookup, lookup_id("storage_providers", "minio")).meta["settings"]
    assert (local["role"], local["order"]) == ("primary", 0)
    assert (minio["role"], minio["order"]) == ("failover", 1)
    assert "testing-secret" not in minio["url"] and "testing-key" not in minio["url"]


def test_direct_upload_to_s3_with_a_presigned_url(
    app, client, user_factory, media_config, s3_endpoint, monkeypatch
):
    monkeypatch.setitem(app.config, "STORAGE_URL", s3_url(s3_endpoint, "direct", provider="s3"))
    user_id, headers = _student(app, user_factory)
    presigned = client.post(
        "/api/v1/media/presign", json={"filename": "p.png", "kind": "avatar"}, headers=headers
    )
    assert presigned.status_code == 200, presigned.json
    body = presigned.json
    put = requests.put(
        body["upload_url"], data=png_bytes(), headers={"Content-Type": body["content_type"]}, timeout=10
    )
    assert put.status_code == 200
    done = client.post(
        "/api/v1/media/complete",
        json={"token": body["token"], "owner_type": "user", "owner_id": user_id},
        headers=headers,
    )
    assert done.status_code == 201, done.json
    assert done.json["result"]["mime_type"] == "image/png" and not done.json["result"]["is_temporary"]
    # the raw object is gone; only the validated, re-encoded copy remains
    assert (
        client.post("/api/v1/media/complete", json={"token": body["token"]}, headers=headers).status_code
        == 404
    )

    bad = client.post(
        "/api/v1/media/presign", json={"filename": "cv.pdf", "kind": "job_attachment"}, headers=headers
    )
    requests.put(
        bad.json["upload_url"],
        data=b"<html><script>alert(1)</script></html>",
        headers={"Content-Type": bad.json["content_type"]},
        timeout=10,
    )
    refused = client.post("/api/v1/media/complete", json={"token": bad.json["token"]}, headers=headers)
    assert refused.status_code == 422
    _, other = _student(app, user_factory)
    assert (
        client.post("/api/v1/media/complete", json={"token": body["token"]}, headers=other).status_code == 403
    )


def test_direct_upload_needs_an_s3_provider(app, client, user_factory, media_config):
    _, headers = _student(app, user_factory)
    response = client.post(
        "/api/v1/media/presign", json={"filename": "p.png", "kind": "avatar"}, headers=headers
    )
    assert response.status_code == 409 and "upload" in response.json["message"]
    wrong_type = client.post(
        "/api/v1/media/presign", json={"filename": "x.exe", "kind": "avatar"}, headers=headers
    )
    assert wrong_type.status_code == 422


def test_admins_edit_alt_text_in_both_languages(app, client, user_factory, login_as, media_config):
    _, headers = _student(app, user_factory)
    media_id = _upload(client, headers, [("cover.png", png_bytes())]).json["ids"][0]
    admin = login_as("Admin")
    form = admin.get(f"/mediamodelview/edit/{media_id}").get_data(as_text=True)
    assert 'name="alt_en"' in form and 'name="alt_ar"' in form
    saved = admin.post(
        f"/mediamodelview/edit/{media_id}", data={"alt_en": "A teal square", "alt_ar": "مربع أخضر مزرق"}
    )
    assert saved.status_code == 302
    assert _row(app, media_id)["translations"] == {
        "en": {"alt": "A teal square"},
        "ar": {"alt": "مربع أخضر مزرق"},
    }


def test_replacing_a_file_keeps_the_old_version(app, client, user_factory, media_config):
    _, headers = _student(app, user_factory)
    _, stranger = _student(app, user_factory)
    media_id = _upload(client, headers, [("notes.txt", TEXT)]).json["ids"][0]
    first = _row(app, media_id)
    replaced = client.post(
        f"/api/v1/media/{media_id}/replace",
        data={"file": (io.BytesIO(b"second version\n"), "notes-v2.txt")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert replaced.status_code == 200, replaced.json
    second = _row(app, media_id)
    assert second["sha256"] != first["sha256"] and second["original_filename"] == "notes-v2.txt"
    (version,) = second["metadata"]["versions"]
    assert version["path"] == first["storage_path"] and version["sha256"] == first["sha256"]
    assert (media_config / first["storage_path"]).read_bytes() == TEXT  # the old file is kept
    assert (media_config / second["storage_path"]).read_bytes() == b"second version\n"
    refused = client.post(
        f"/api/v1/media/{media_id}/replace",
        data={"file": (io.BytesIO(b"hijack\n"), "x.txt")},
        headers=stranger,
        content_type="multipart/form-data",
    )
    assert refused.status_code == 404  # not even visible to others


def test_admins_upload_from_the_back_office(app, login_as, media_config):
    admin = login_as("Admin")
    form = admin.get("/mediamodelview/upload").get_data(as_text=True)
    assert 'type="file"' in form and "course_material" in form
    response = admin.post(
        "/mediamodelview/upload",
        data={
            "kind": "course_material",
            "file": [(io.BytesIO(TEXT), "a.txt"), (io.BytesIO(png_bytes()), "b.png")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        names = set(db.session.scalars(select(Media.original_filename)).all())
    assert {"a.txt", "b.png"} <= names
    refused = admin.post(
        "/mediamodelview/upload",
        data={"kind": "avatar", "file": [(io.BytesIO(b"<svg onload=alert(1)>"), "x.png")]},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 200
    assert "SVG" in refused.get_data(as_text=True)  # the reason is shown on the form
    with app.app_context():
        assert "x.png" not in set(db.session.scalars(select(Media.original_filename)).all())
    admin.get("/lang/ar")
    arabic = admin.get("/mediamodelview/list/").get_data(as_text=True)
    assert 'dir="rtl"' in arabic and "مادة دراسية" in arabic and "مكتبة الوسائط" in arabic
    assert login_as("Student").get("/mediamodelview/upload").status_code == 403


def test_a_file_missing_from_storage_is_a_404_and_not_counted(app, client, user_factory, media_config):
    _, headers = _student(app, user_factory)
    media_id = _upload(client, headers, [("gone.txt", TEXT)]).json["ids"][0]
    (media_config / _row(app, media_id)["storage_path"]).unlink()
    url = client.post(f"/api/v1/media/{media_id}/link", json={}, headers=headers).json["url"]
    response = client.get(url)
    assert response.status_code == 404
    assert _row(app, media_id)["download_count"] == 0


def test_bad_media_requests_are_4xx_not_500(app, client, user_factory, media_config, monkeypatch):
    _, headers = _student(app, user_factory)
    media_id = _upload(client, headers, [("a.txt", TEXT)]).json["ids"][0]
    bad_variant = client.post(f"/api/v1/media/{media_id}/link", json={"variant": ["x"]}, headers=headers)
    assert bad_variant.status_code == 422
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    too_big = _upload(client, headers, [("big.txt", b"x" * 5000)])
    assert too_big.status_code == 413 and "message" in too_big.json


def test_an_upload_without_a_kind_is_a_general_attachment(app, client, user_factory, media_config):
    _, headers = _student(app, user_factory)
    response = client.post(
        "/api/v1/media/upload",
        data={"file": (io.BytesIO(TEXT), "a.txt")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201 and response.json["result"][0]["kind"] == "attachment"


def test_an_error_half_way_through_uploading_leaves_no_row_and_no_file(app, user_factory, media_config):
    from app.core.transactions import transaction
    from app.media import services
    from app.security.models import LmsUser

    user_id, _username = user_factory("Student")
    with app.test_request_context("/"):  # uploads are rate limited per client
        user = db.session.get(LmsUser, user_id)
        with pytest.raises(RuntimeError, match="half-way"), transaction():
            services.upload_files([("one.png", png_bytes())], "assignment_submission", user)
            services.upload_files([("two.png", png_bytes(color="red"))], "assignment_submission", user)
            raise RuntimeError("half-way")
        db.session.remove()
        assert db.session.scalar(select(func.count(Media.id)).where(Media.uploader_id == user_id)) == 0
        db.session.remove()
    assert [path for path in media_config.rglob("*") if path.is_file()] == []
