"""Before any model is trained the service still runs, and says what is missing."""

from tests.app.application_documents import good_application


def test_submission_without_an_active_model_is_503(client, auth_headers):
    response = client.post("/applications", json=good_application(),
                           headers=auth_headers["loan_officer"])
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "no_active_policy"
