from tests.conftest import auth_headers


def test_current_user_is_returned_with_the_presented_token(client, user):
    headers = auth_headers(user)
    response = client.get("/api/user", headers=headers)
    assert response.status_code == 200
    assert response.json["user"]["username"] == "jake"
    assert response.json["user"]["token"] == headers["Authorization"].split()[1]
