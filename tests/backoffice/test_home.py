"""The staff home page: each role's cards, the registry other features add to, fixed queries."""

import pytest
from django.urls import reverse

from backoffice import home_cards, roles
from backoffice.home_cards import Card, CardItem
from backoffice.models import AuditEvent, CourseAttempt

from .factories import branch, staff, staff_client
from .test_training import _age, make_course

pytestmark = pytest.mark.django_db
HOME = reverse("backoffice:home")


def test_teller_sees_their_training_due_and_their_own_recent_actions():
    home = branch("HOME")
    teller = staff(roles.TELLER, home)
    make_course(roles.TELLER, title="要学的课")
    AuditEvent.objects.create(actor=teller, action="customer_search", role="teller")
    AuditEvent.objects.create(actor=staff(roles.TELLER, home), action="audit_export")
    page = staff_client(teller).get(HOME).content.decode()
    assert 'id="card-training-due"' in page and "要学的课" in page
    assert 'id="card-my-audit"' in page
    assert 'id="card-team-training-overdue"' not in page  # a manager's card


def test_branch_manager_sees_team_training_overdue():
    home = branch("HOME")
    manager = staff(roles.BRANCH_MANAGER, home)
    late = staff(roles.TELLER, home)
    _age(late, 100)
    make_course(roles.TELLER, title="逾期的课")
    page = staff_client(manager).get(HOME).content.decode()
    section = page.split('id="card-team-training-overdue"', 1)[1].split("</section>", 1)[0]
    assert late.full_name in section and "逾期的课" in section


def test_other_features_add_cards_through_the_registry(monkeypatch):
    monkeypatch.setattr(home_cards, "_registry", list(home_cards._registry))

    def cash_desk_card(user):
        return Card(key="cash-desk", title="钱箱", items=[CardItem(text="今日现金 1,000.00")])

    home_cards.register(roles.TELLER, cash_desk_card)
    teller_page = staff_client(staff(roles.TELLER, branch("HOME"))).get(HOME).content.decode()
    agent_page = staff_client(staff(roles.SUPPORT_AGENT)).get(HOME).content.decode()
    assert "今日现金 1,000.00" in teller_page and "今日现金" not in agent_page


def test_home_runs_a_fixed_number_of_queries(django_assert_max_num_queries):
    home = branch("HOME")
    manager = staff(roles.BRANCH_MANAGER, home)
    course = make_course(roles.TELLER, roles.BRANCH_MANAGER)
    make_course(roles.TELLER)
    _age(staff(roles.TELLER, home), 100)
    client = staff_client(manager)
    client.get(HOME)
    with django_assert_max_num_queries(40) as small:
        assert client.get(HOME).status_code == 200
    for _ in range(6):
        member = staff(roles.TELLER, home)
        _age(member, 100)
        CourseAttempt.objects.create(staff=member, course=course, score=0, passed=False)
        AuditEvent.objects.create(actor=manager, action="customer_search")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(HOME).status_code == 200
