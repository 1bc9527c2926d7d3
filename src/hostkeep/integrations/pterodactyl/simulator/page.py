"""The read-only page at ``/``: servers with their state, owner, node and limits, refreshed
every two seconds, so a person watching the demo sees servers appear and finish installing."""

from __future__ import annotations

from html import escape

from .state import PanelState

STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1f2933;background:#f5f7fa}
h1{font-size:1.4rem;margin:0 0 .25rem}p.meta{color:#52606d;margin:0 0 1.5rem}
table{border-collapse:collapse;width:100%;background:#fff;box-shadow:0 1px 3px rgba(0,0,0,.1);margin-bottom:2rem}
th,td{padding:.45rem .7rem;border-bottom:1px solid #e4e7eb;text-align:left;font-size:.9rem}
th{background:#e4e7eb}.status{font-weight:600;border-radius:3px;padding:.1rem .4rem}
.installing{background:#fff3c4}.ok{background:#c1eac5}.suspended{background:#ffbdbd}.failed{background:#ffbdbd}
code{font-size:.85rem}
"""


def _status(status: str | None) -> str:
    css = {None: "ok", "installing": "installing", "suspended": "suspended"}.get(status, "failed")
    return f'<span class="status {css}">{escape(status or "installed")}</span>'


def render(state: PanelState, url: str) -> str:
    rows = []
    for server in sorted(state.servers.values(), key=lambda s: s.id):
        owner = state.users.get(server.owner_id)
        node = state.nodes.get(server.node_id)
        allocation = state.allocations.get(server.allocation_id)
        egg = state.eggs.get(server.egg_id)
        rows.append(
            "<tr>"
            f"<td>{server.id}</td><td><code>{escape(server.identifier)}</code></td>"
            f"<td>{escape(server.name)}</td><td><code>{escape(server.external_id or '')}</code></td>"
            f"<td>{_status(server.status)}</td>"
            f"<td>{escape(owner.username if owner else '?')}<br>"
            f"<small>{escape(owner.email if owner else '')}</small></td>"
            f"<td>{escape(egg.name if egg else '?')}</td>"
            f"<td>{escape(node.name if node else '?')}</td>"
            f"<td><code>{escape(f'{allocation.ip}:{allocation.port}' if allocation else '?')}</code></td>"
            f"<td>{server.memory} MiB / {server.disk} MiB / {server.cpu}%</td>"
            f"<td>{server.created_at:%Y-%m-%d %H:%M:%S}</td>"
            "</tr>"
        )
    users = [
        f"<tr><td>{user.id}</td><td>{escape(user.username)}</td><td>{escape(user.email)}</td>"
        f"<td><code>{escape(user.external_id or '')}</code></td><td>{'yes' if user.root_admin else ''}</td>"
        f"<td>{len(state.servers_of_user(user.id))}</td></tr>"
        for user in sorted(state.users.values(), key=lambda u: u.id)
    ]
    free = sum(1 for a in state.allocations.values() if a.server_id is None)
    server_rows = "".join(rows) or '<tr><td colspan="11">No servers yet.</td></tr>'
    return (
        "<!doctype html><html><head><meta charset='utf-8'><meta http-equiv='refresh' content='2'>"
        f"<title>Pterodactyl simulator</title><style>{STYLE}</style></head><body>"
        "<h1>Pterodactyl panel simulator</h1>"
        f"<p class='meta'>Application API at <code>{escape(url)}/api/application</code> &middot; "
        f"{len(state.servers)} servers &middot; {free} free allocations &middot; refreshes every 2 s</p>"
        "<table><thead><tr><th>id</th><th>identifier</th><th>name</th><th>external id</th><th>status</th>"
        "<th>owner</th><th>egg</th><th>node</th><th>allocation</th><th>memory / disk / cpu</th><th>created (UTC)</th>"
        f"</tr></thead><tbody>{server_rows}</tbody></table>"
        "<table><thead><tr><th>user</th><th>username</th><th>email</th><th>external id</th><th>admin</th>"
        f"<th>servers</th></tr></thead><tbody>{''.join(users)}</tbody></table>"
        "</body></html>"
    )
