"""The app boots on migrated PostgreSQL and the main pages answer."""

from tests.conftest import login


def test_admin_index_and_login(client, user_factory):
    assert client.get("/").status_code == 200
    assert client.get("/admin/").status_code == 200
    _, username = user_factory("Admin")
    response = login(client, username)
    assert response.status_code == 302
    page = client.get("/lookuptypemodelview/list/")
    assert page.status_code == 200
    assert "audit_actions" in page.get_data(as_text=True)
