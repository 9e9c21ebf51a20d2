"""Every route declares who may reach it, in the one permissions module."""

from govtech.permissions import PUBLIC, SIGNED_IN


def test_every_view_declares_an_access_policy(app):
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        policy = getattr(view, "access_policy", None)
        if policy is None or (
            policy not in (PUBLIC, SIGNED_IN) and not isinstance(policy, frozenset)
        ):
            missing.append(rule.rule)
    assert missing == []
