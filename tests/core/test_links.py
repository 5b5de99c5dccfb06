"""Upper domains put links on the directory's pages through liaison.core.links."""

from tests.factories import ServiceFactory


def test_the_team_page_leads_members_to_their_inbox_but_not_outsiders(login, member, team, outsider):
    body = login(member).get(team.get_absolute_url()).content.decode()
    assert f'href="/requests/inbox/{team.slug}/"' in body
    assert f'href="/network/teams/{team.slug}/"' in body

    body = login(outsider).get(team.get_absolute_url()).content.decode()
    assert "/requests/inbox/" not in body.replace('href="/requests/inbox/"', "")  # the nav's own inbox link


def test_the_service_page_offers_to_ask_the_service(login, member):
    service = ServiceFactory(slug="vpn-access")
    body = login(member).get(service.get_absolute_url()).content.decode()
    assert 'href="/requests/new/?service=vpn-access"' in body


def test_the_main_nav_marks_the_current_domain(login, member):
    body = login(member).get("/requests/").content.decode()
    assert 'href="/requests/" aria-current="page"' in body
    assert 'href="/network/" aria-current="page"' not in body
