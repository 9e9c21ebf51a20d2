"""One page under load: GET BENCH_PATH as fast as possible (no think time), with the session
cookie in BENCH_COOKIE for signed-in pages. Anything but a 200 counts as a failure."""

import os

from locust import FastHttpUser, constant, task

PATH = os.environ["BENCH_PATH"]
HEADERS = {"User-Agent": os.environ.get("BENCH_USER_AGENT", "govtech-bench")}
if os.environ.get("BENCH_COOKIE"):
    HEADERS["Cookie"] = f"session={os.environ['BENCH_COOKIE']}"


class PageUser(FastHttpUser):
    """A visitor asking for the same page again and again."""

    wait_time = constant(0)

    @task
    def page(self):
        """GET the page; redirects (e.g. to the login form) are failures."""
        with self.client.get(
            PATH, headers=HEADERS, allow_redirects=False, catch_response=True, name="page"
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
