"""Seeds a buyin server for Schemathesis; prints an access token, the org id, the project
id and the id of a spare project that `DELETE /api/v1/projects/{project_id}` may delete.

The token belongs to a user who owns an organisation (admin) and a project (staff lead), so the
generated requests reach real resources, not only 401 and 404. Standard library only.
"""

import json
import sys
import urllib.request


def call(base, method, path, body=None, token=None):
    request = urllib.request.Request(
        base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"content-type": "application/json"},
    )
    if token:
        request.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def main(base):
    email = "owner@example.org"
    password = "correct horse battery staple"
    call(base, "POST", "/api/v1/auth/register",
         {"email": email, "password": password, "display_name": "Owner"})
    token = call(base, "POST", "/api/v1/auth/login",
                 {"email": email, "password": password})["access_token"]
    org = call(base, "POST", "/api/v1/orgs", {"name": "Schemathesis Association"}, token)
    project = call(base, "POST", f"/api/v1/orgs/{org['id']}/projects",
                   {"name": "Move to the new AMS"}, token)
    spare = call(base, "POST", f"/api/v1/orgs/{org['id']}/projects",
                 {"name": "A project to delete"}, token)
    print(token, org["id"], project["id"], spare["id"])


if __name__ == "__main__":
    main(sys.argv[1])
