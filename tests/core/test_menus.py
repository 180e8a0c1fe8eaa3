"""Back-office menus (issue 12, part 3): long dropdowns in headed groups, and FAB's developer
screens under an Advanced menu that only the Admin role sees."""

from __future__ import annotations

from xml.etree.ElementTree import Element

import html5lib
import pytest
from flask.testing import FlaskClient

from app.core.menus import place_in_group, register_menu_groups
from app.extensions import appbuilder, db
from app.security.roles import INSTRUCTOR

DEVELOPER_SCREENS = ["User Registrations", "Base Permissions", "Views/Menus", "Permission on Views/Menus"]
DEVELOPER_VIEWS = {
    "User Registrations": "RegisterUserModelView",
    "Base Permissions": "PermissionModelView",
    "Views/Menus": "ViewMenuModelView",
    "Permission on Views/Menus": "PermissionViewModelView",
}
MAX_FLAT_ENTRIES = 10

Section = tuple[str | None, list[str]]


def _classes(element: Element) -> set[str]:
    return set((element.get("class") or "").split())


def _text(element: Element) -> str:
    return " ".join("".join(element.itertext()).split())


def _main_menu(client: FlaskClient, path: str = "/admin/") -> Element:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    tree = html5lib.parse(response.get_data(as_text=True), namespaceHTMLElements=False)
    menus = [ul for ul in tree.iter("ul") if {"nav", "navbar-nav"} <= _classes(ul)]
    assert menus, "the page has the back-office navbar"
    return menus[0]  # the second one holds the language and the user menus


def _dropdowns(nav: Element) -> dict[str, list[Section]]:
    """Each dropdown's label -> its sections: (heading or None, link labels)."""
    result: dict[str, list[Section]] = {}
    for item in nav.findall("li"):
        toggle, listing = item.find("a"), item.find("ul")
        if toggle is None or listing is None:
            continue
        sections: list[Section] = [(None, [])]
        for entry in listing.findall("li"):
            if "divider" in _classes(entry):
                sections.append((None, []))
            elif "lms-menu-group" in _classes(entry):
                heading = entry.find("span")
                assert heading is not None
                sections.append((_text(heading), [_text(a) for a in entry.iter("a")]))
            else:
                sections[-1][1].extend(_text(a) for a in entry.iter("a"))
        result[_text(toggle)] = [section for section in sections if section[1]]
    return result


def _labels(sections: list[Section]) -> list[str]:
    return [label for _heading, labels in sections for label in labels]


def test_admin_menu_groups_assessments_and_keeps_developer_screens_under_advanced(login_as):
    menu = _dropdowns(_main_menu(login_as("Admin")))

    assert menu["Assessments"] == [
        ("Quizzes", ["Quizzes", "Quiz questions", "Random questions", "Quiz overrides", "Quiz attempts"]),
        ("Question banks", ["Question banks", "Questions", "Question options"]),
        (
            "Assignments and rubrics",
            ["Assignments", "Submissions", "Rubrics", "Rubric criteria", "Rubric levels"],
        ),
        ("Grades and certificates", ["Gradebook", "Grade history", "Completion criteria", "Certificates"]),
    ]
    assert [heading for heading, _ in menu["Courses"]] == [
        "Course content",
        "Learners",
        "Sales and analytics",
    ]
    assert [heading for heading, _ in menu["Billing"]] == ["Sales", "Plans and features", None]
    # FAB's developer screens moved out of Security, which keeps the people and the audit trail.
    assert menu["Advanced"] == [(None, DEVELOPER_SCREENS)]
    assert list(menu)[-1] == "Advanced", "Advanced comes after every other menu"
    security = _labels(menu["Security"])
    assert {"List Users", "List Roles", "Audit Log"} <= set(security)
    assert not set(DEVELOPER_SCREENS) & set(security)


def test_no_dropdown_is_a_long_flat_list(login_as):
    # An admin sees every entry of every menu.
    for label, sections in _dropdowns(_main_menu(login_as("Admin"))).items():
        for heading, entries in sections:
            assert len(entries) <= MAX_FLAT_ENTRIES, f"{label} / {heading}: {len(entries)} entries"
        if len(_labels(sections)) > 8:
            assert sum(heading is not None for heading, _ in sections) >= 2, f"{label} has no headed groups"


@pytest.fixture
def instructor_with_developer_permissions(app) -> None:
    """The Instructor role given every permission behind the developer screens and their menu."""
    with app.app_context():
        sm = appbuilder.sm
        role = sm.find_role(INSTRUCTOR)
        pairs = [("menu_access", "Advanced")]
        for name, view in DEVELOPER_VIEWS.items():
            pairs += [("menu_access", name), ("can_list", view)]
        for permission, view in pairs:
            pv = sm.find_permission_view_menu(permission, view)
            assert pv is not None, (permission, view)
            sm.add_permission_role(role, pv)
        db.session.commit()
        db.session.remove()


def test_instructors_never_see_the_developer_screens_in_their_menu(
    login_as, instructor_with_developer_permissions
):
    instructor = login_as(INSTRUCTOR)
    # The role really holds the permission: the page opens when asked for by address.
    assert instructor.get("/permissions/list/").status_code == 200

    menu = _dropdowns(_main_menu(instructor))
    assert "Advanced" not in menu
    assert not set(DEVELOPER_SCREENS) & {label for sections in menu.values() for label in _labels(sections)}
    assert menu["Assessments"][0][0] == "Quizzes"  # their menus are grouped too
    # The menu API that clients build their menus from hides them too.
    names = {entry["name"] for entry in instructor.get("/api/v1/menu/").json["result"]}
    assert "Advanced" not in names and "Assessments" in names


def test_the_menu_api_offers_advanced_to_admins_only(app, login_as, api_as):
    def names(client: FlaskClient, headers: dict[str, str] | None = None) -> set[str]:
        return {entry["name"] for entry in client.get("/api/v1/menu/", headers=headers).json["result"]}

    assert "Advanced" in names(login_as("Admin"))
    assert "Advanced" in names(app.test_client(), api_as("Admin"))  # with an API token too
    assert "Advanced" not in names(login_as("Student"))
    assert "Advanced" not in names(app.test_client(), api_as(INSTRUCTOR))


def test_menu_headings_are_in_arabic(login_as):
    admin = login_as("Admin")
    admin.get("/lang/ar")
    menu = _dropdowns(_main_menu(admin))

    assert [heading for heading, _ in menu["التقييمات"]] == [
        "الاختبارات",
        "بنوك الأسئلة",
        "الواجبات وسلالم التقييم",
        "الدرجات والشهادات",
    ]
    courses = [heading for heading, _ in menu["الدورات"]]
    assert courses == ["محتوى الدورات", "المتعلمون", "المبيعات والتحليلات"]
    assert _labels(menu["خيارات متقدمة"]) == [
        "طلبات تسجيل المستخدمين",
        "الصلاحيات الأساسية",
        "العروض/القوائم",
        "الصلاحيات على العروض/القوائم",
    ]


def test_headings_are_text_that_names_its_group(login_as):
    nav = _main_menu(login_as("Admin"))
    ids: list[str] = [element.get("id") for element in nav.iter() if element.get("id")]  # type: ignore[misc]
    assert len(ids) == len(set(ids)), "ids are unique on the page"
    groups = [li for li in nav.iter("li") if "lms-menu-group" in _classes(li)]
    assert len(groups) >= 9
    for group in groups:
        heading, listing = group.find("span"), group.find("ul")
        assert heading is not None and listing is not None
        assert "dropdown-header" in _classes(heading)
        assert heading.get("tabindex") is None and heading.get("role") is None, "not a control"
        assert listing.get("aria-labelledby") == heading.get("id")
    for toggle in nav.iter("a"):
        if "dropdown-toggle" in _classes(toggle):
            assert toggle.get("role") == "button" and toggle.get("aria-expanded") == "false"


def test_a_screen_names_a_declared_group():
    register_menu_groups("Test category", ("known", "Known"))
    place_in_group("Test category", "Some screen", "known")
    with pytest.raises(KeyError, match="unknown"):
        place_in_group("Test category", "Other screen", "unknown")
