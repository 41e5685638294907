from tests.support.desk import login, csrf_token, post_form
async def test_smoke(admin_client):
    c = admin_client
    for path in ["/desk", "/desk/new/practice", "/desk/new/journey", "/desk/new/outcome", "/desk/media", "/desk/share", "/desk/comments", "/account/password",
                 "/admin", "/admin/users", "/admin/settings", "/admin/domains", "/admin/deliveries", "/admin/network", "/admin/moderation"]:
        r = await c.get(path, allow_redirects=False)
        t = await r.text()
        assert r.status == 200, (path, r.status, t[:3000])
