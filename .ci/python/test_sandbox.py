"""A client no one in this project wrote, against lupl-sandbox on a bad day.

The client is generated from openapi.json by openapi-python-client (CI
generates it fresh); the faults are set through the sandbox's admin API
(sandbox-admin.json) with nothing but the standard library, as a vendor's
Python test would. Usage: test_sandbox.py BASE_URL (the generated package
`lupl_client` importable).
"""
import functools
import json
import sys
import unittest
import urllib.request
import uuid

import httpx
from lupl_client import AuthenticatedClient
from lupl_client.api.organizations import get_organization_config, set_organization_config
from lupl_client.api.providers import get_provider_config, set_provider_config
from lupl_client.models import SetOrganizationConfigRequest, SetProviderConfigRequest

BASE = sys.argv.pop(1)
ACME_PMS = uuid.UUID("4efafdc0-2783-4af6-9cac-d2b2be27a080")
ACME_ORG = uuid.UUID("3fa85f64-5717-4562-b3fc-2c963f66afa6")
OTHER_PMS = uuid.UUID("9b1c3a52-6f0e-4d7b-8a4e-2f5d1c7e9a10")
ACME = {
    "name": "ACME PM",
    "description": "Hours and billing from ACME PM",
    "baseUrl": "https://api.acme-pm.example",
    "authentication": {"type": "apiKey", "headerName": "X-Api-Key", "field": "apiKey"},
    "endpoints": {"matters": "/v2/matters", "timeEntries": "/v2/time-entries"},
    "fields": [
        {"key": "apiKey", "label": "API key", "type": "string", "required": True},
        {"key": "region", "label": "Region", "type": "select", "required": True,
         "options": ["us", "eu"]},
    ],
}


def admin(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{BASE}/__admin{path}", data=data, method=method,
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return response.status, json.loads(response.read() or b"null")


@functools.cache
def client(token="tok-acme"):
    # One client (and connection pool) per token for the whole run.
    return AuthenticatedClient(base_url=BASE, token=token)


class AgainstTheSandbox(unittest.TestCase):
    def setUp(self):
        admin("POST", "/reset")

    def set_acme(self, c):
        body = SetProviderConfigRequest.from_dict({"pmsId": str(ACME_PMS), "config": ACME})
        return set_provider_config.sync_detailed(client=c, body=body)

    def test_set_then_read_back(self):
        c = client()
        self.assertEqual(self.set_acme(c).status_code, 200)
        read = get_provider_config.sync(client=c, pms_id=ACME_PMS)
        self.assertEqual(read.to_dict()["name"], "ACME PM")
        org = SetOrganizationConfigRequest.from_dict(
            {"organizationId": str(ACME_ORG), "pmsId": str(ACME_PMS),
             "fields": {"apiKey": "k-1", "region": "mars"}})
        refused = set_organization_config.sync_detailed(client=c, body=org)
        self.assertEqual(refused.status_code, 400)
        self.assertIn("fields.region", refused.parsed.errors.to_dict())
        self.assertIsNone(get_organization_config.sync(client=c, organization_id=ACME_ORG))

    def test_403_and_401(self):
        self.assertEqual(
            get_provider_config.sync_detailed(client=client(), pms_id=OTHER_PMS).status_code, 403)
        self.assertEqual(
            get_provider_config.sync_detailed(client=client("nobody"), pms_id=ACME_PMS).status_code,
            401)

    def test_a_503_then_an_answer(self):
        status, created = admin("POST", "/faults", {"status": 503, "times": 1})
        self.assertEqual(status, 201)
        c = client()
        self.assertEqual(self.set_acme(c).status_code, 503)
        self.assertIsNone(get_provider_config.sync(client=c, pms_id=ACME_PMS),
                          "a 503 stored nothing")
        self.assertEqual(self.set_acme(c).status_code, 200)
        _, journal = admin("GET", "/requests")
        faults = [r["fault"] for r in journal["requests"]]
        self.assertEqual(faults, ["status 503", None, None])
        self.assertEqual(journal["requests"][0]["identity"], "dev@acme.example")

    def test_a_429_storm_is_parsed_with_its_retry_after(self):
        admin("POST", "/faults", {"retryAfter": 3, "times": 2})
        for _ in range(2):
            answer = get_provider_config.sync_detailed(client=client(), pms_id=ACME_PMS)
            self.assertEqual(answer.status_code, 429)
            self.assertEqual(answer.headers["retry-after"], "3")
            self.assertEqual(answer.parsed.status_code, 429)
        self.assertEqual(
            get_provider_config.sync_detailed(client=client(), pms_id=ACME_PMS).status_code, 200)

    def test_a_dropped_connection_is_an_error_and_stores_nothing(self):
        admin("POST", "/faults", {"method": "POST", "drop": True, "times": 1})
        with self.assertRaises(httpx.HTTPError):
            self.set_acme(client())
        self.assertIsNone(get_provider_config.sync(client=client(), pms_id=ACME_PMS))


if __name__ == "__main__":
    unittest.main(verbosity=2)
