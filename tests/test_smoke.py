from fastapi.testclient import TestClient

from tests.conftest import Account


def test_credits_for_a_new_pro_user(client: TestClient, account: Account) -> None:
    response = client.get("/api/v1/credits", headers=account.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    assert body["data"]["credits"]["current"] == 2500
    assert body["data"]["storage"]["limit_formatted"] == "2 GB"
