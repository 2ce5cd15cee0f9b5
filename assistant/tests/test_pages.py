"""The chat page: reachable from every page of the project; without a model it says so and explains how."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_chat_page_lists_conversations_and_offers_the_question_box(browser_for, member, project, fake_openai):
    from assistant.models import Conversation

    Conversation.objects.create(project=project, created_by=member, title="Slowest queries this week")
    page = browser_for(member).get(f"/app/projects/{project.pk}/assistant/").content.decode()
    assert "Slowest queries this week" in page and 'id="question"' in page and "build/assistant.js" in page
    assert "No AI model is configured" not in page


def test_without_a_model_the_page_says_which_settings_to_set(browser_for, member, project, settings):
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = None
    page = browser_for(member).get(f"/app/projects/{project.pk}/assistant/").content.decode()
    assert "No AI model is configured" in page and "OPENAI_BASE_URL" in page and "OPENAI_API_KEY" in page
    assert 'id="send" disabled' in page


def test_viewers_read_only_and_another_organization_gets_404(browser_for, viewer, other_org_user, project):
    page = browser_for(viewer).get(f"/app/projects/{project.pk}/assistant/").content.decode()
    assert 'id="question"' not in page and "Viewers read the conversations" in page
    assert browser_for(other_org_user).get(f"/app/projects/{project.pk}/assistant/").status_code == 404


@pytest.mark.parametrize("path", ["/app/projects/{p}/", "/app/projects/{p}/sql/", "/app/projects/{p}/health/",
                                  "/app/projects/{p}/schema/", "/app/projects/{p}/queries/"])  # fmt: skip
def test_every_project_page_links_to_the_assistant(browser_for, member, project, path):
    response = browser_for(member).get(path.format(p=project.pk))
    assert response.status_code == 200
    assert f'href="/app/projects/{project.pk}/assistant/"' in response.content.decode()
