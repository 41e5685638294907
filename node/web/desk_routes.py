"""The routes of the accounts, the organizer desk and the admin pages (added to node/routes.py's table)."""

from aiohttp import web

from .. import media
from . import account, admin, admin_network, desk, desk_more


def setup_desk_routes(r: web.UrlDispatcher) -> None:
    r.add_get("/login", account.get_login)
    r.add_post("/login", account.post_login)
    r.add_post("/logout", account.post_logout)
    r.add_get("/account/password", account.get_password)
    r.add_post("/account/password", account.post_password)
    r.add_get("/account/profile", account.get_profile)
    r.add_post("/account/profile", account.post_profile)
    r.add_get("/media/{name}", media.get_media)

    r.add_get("/desk", desk_more.get_desk)
    r.add_get("/desk/new/{kind}", desk.get_new)
    r.add_post("/desk/new/{kind}", desk.post_new)
    r.add_get("/desk/{kind:practice|journey|outcome}/{slug}/edit", desk.get_edit)
    r.add_post("/desk/{kind:practice|journey|outcome}/{slug}/edit", desk.post_edit)
    r.add_get("/desk/{kind:practice|journey|outcome}/{slug}/translate", desk.get_translate)
    r.add_post("/desk/{kind:practice|journey|outcome}/{slug}/translate", desk.post_translate)
    r.add_get("/desk/{kind:practice|journey|outcome}/{slug}/delete", desk.get_delete)
    r.add_post("/desk/{kind:practice|journey|outcome}/{slug}/delete", desk.post_delete)
    r.add_get("/desk/drafts/{id}", desk.get_draft)
    r.add_post("/desk/drafts/{id}/delete", desk.post_delete_draft)
    r.add_get("/desk/media", desk_more.get_media_page)
    r.add_post("/desk/media", desk_more.post_media)
    r.add_get("/desk/journeys/{slug}/participants", desk_more.get_participants)
    r.add_post("/desk/journeys/{slug}/participants", desk_more.post_participants)
    r.add_get("/desk/share", desk_more.get_share)
    r.add_post("/desk/share", desk_more.post_share)
    r.add_post("/desk/unshare", desk_more.post_unshare)
    r.add_get("/desk/comments", desk_more.get_comments)
    r.add_post("/desk/comments/reply", desk_more.post_reply)
    r.add_post("/desk/comments/remove", desk_more.post_remove_comment)

    r.add_get("/admin", admin.get_admin)
    r.add_get("/admin/users", admin.get_users)
    r.add_post("/admin/users", admin.post_user)
    r.add_post("/admin/users/role", admin.post_role)
    r.add_post("/admin/users/password", admin.post_password)
    r.add_post("/admin/users/suspension", admin.post_suspension)
    r.add_get("/admin/settings", admin.get_settings)
    r.add_post("/admin/settings", admin.post_settings)
    r.add_get("/admin/domains", admin.get_domains)
    r.add_post("/admin/domains", admin.post_domain)
    r.add_get("/admin/deliveries", admin.get_deliveries)
    r.add_get("/admin/network", admin_network.get_network)
    r.add_post("/admin/follow-requests", admin_network.post_follow_request)
    r.add_post("/admin/peers", admin_network.post_peer)
    r.add_get("/admin/peers/unfollow", admin_network.get_unfollow)
    r.add_get("/admin/moderation", admin_network.get_moderation)
    r.add_post("/admin/comments", admin_network.post_comment_decision)
    r.add_post("/admin/reports", admin_network.post_report_decision)
    r.add_post("/admin/accounts", admin_network.post_account_block)
