"""What the domain page's Actions card offers a user: the lifecycle buttons in the state's order, the one to press
most likely first, the rarer ones under More, each destructive one with the question it asks first.

Only what the user may do is here: an action is offered when the domain's state allows it and the user holds its
permission (the check do_domain_action makes); Clone and Migrate when their pages would serve the user.
"""

from django.urls import reverse
from django.utils.translation import gettext as _

from console.confirm import confirm_details
from domains.access import permissions
from domains.clones.actions import PERMISSION as CLONE_PERMISSION
from domains.clones.destination import destination_hosts
from domains.lifecycle.actions import ACTIONS
from domains.migration.actions import PERMISSION as MIGRATE_PERMISSION

# In the toolbar, in this order; the first one offered is the primary button.
TOOLBAR = ["start", "resume", "shutdown", "reboot", "suspend", "destroy", "reset"]
PRIMARY = {"start", "resume", "shutdown"}
# Under More, after Clone and Migrate.
MORE = ["managed_save", "managed_save_remove", "autostart_on", "autostart_off"]
# Force off and Reset lose what the guest had not written; discarding a saved state loses the saved guest.
DANGER = {"destroy", "reset"}


def _labels():
    # Translated when the page is made, in the user's language (ACTIONS' labels are the API's English).
    return {"start": _("Start"), "shutdown": _("Shut down"), "reboot": _("Reboot"), "destroy": _("Force off"),
            "reset": _("Reset"), "suspend": _("Pause"), "resume": _("Resume"), "managed_save": _("Save and stop"),
            "managed_save_remove": _("Discard saved state"), "autostart_on": _("Autostart on"),
            "autostart_off": _("Autostart off"), "undefine": _("Undefine")}


def _icons():
    return {"start": "play-fill", "shutdown": "power", "reboot": "arrow-clockwise", "destroy": "plug",
            "reset": "bootstrap-reboot", "suspend": "pause-fill", "resume": "play-fill", "managed_save": "save",
            "managed_save_remove": "trash", "autostart_on": "toggle-on", "autostart_off": "toggle-off"}


def _confirmation(name, domain):
    """(question, [what will happen]) for the actions that ask first, else None."""
    asks = {
        "destroy": (_("Force off %(name)s?") % {"name": domain.name},
                    [_("The guest stops at once, as if its power cable were pulled."),
                     _("What the guest had not written to its disks is lost; its file systems may need a check "
                       "at the next start.")]),
        "reset": (_("Reset %(name)s?") % {"name": domain.name},
                  [_("The guest restarts at once, as if its reset button were pressed, without shutting down."),
                   _("What the guest had not written to its disks is lost.")]),
        "managed_save_remove": (_("Discard the saved state of %(name)s?") % {"name": domain.name},
                                [_("The saved memory image is deleted."),
                                 _("The next start boots the guest afresh: what ran when it was saved is lost.")]),
    }
    return asks.get(name)


def undefine_confirmation(domain):
    """The question the Undefine form asks after the name was typed, and what it lists."""
    return (_("Undefine %(name)s?") % {"name": domain.name},
            [_("Its definition is removed from libvirt, with its managed-save image and its snapshot and checkpoint "
               "metadata."),
             _("Its disk images stay, unless “Also delete its storage” is ticked."),
             _("Its history and grants stay in the console.")])


def _button(action, domain, labels, icons):
    asks = _confirmation(action.name, domain)
    return {"name": action.name, "label": labels[action.name], "icon": icons.get(action.name, ""),
            "danger": action.name in DANGER,
            "confirm": asks[0] if asks else "", "confirm_details": confirm_details(asks[1]) if asks else ""}


def may_clone(user, domain):
    """Whether the Clone page would let user clone domain: they may open it, and define the clone somewhere."""
    if not permissions.has_perm(user, CLONE_PERMISSION, domain):
        return False
    return permissions.has_perm(user, "define_domains", domain.host) or bool(destination_hosts(user, domain.host))


def action_menu(user, domain, facts):
    """{"toolbar": [...], "primary": {...} or None, "more": [...], "undefine": bool, "clone_url", "migrate"} for the
    Actions card; "any" is False when the user may do nothing here (the card is then left out)."""
    offered = {} if facts is None else {
        name: action for name, action in ACTIONS.items()
        if action.offered(facts) and permissions.has_perm(user, action.permission, domain)}
    labels, icons = _labels(), _icons()
    toolbar = [_button(offered[name], domain, labels, icons) for name in TOOLBAR if name in offered]
    primary = next((button for button in toolbar if button["name"] in PRIMARY), None)
    more = [_button(offered[name], domain, labels, icons) for name in MORE if name in offered]
    menu = {"primary": primary, "toolbar": [button for button in toolbar if button is not primary], "more": more,
            "undefine": "undefine" in offered,
            "clone_url": reverse("domain-clone", args=[domain.uuid]) if may_clone(user, domain) else "",
            "migrate": facts is not None and permissions.has_perm(user, MIGRATE_PERMISSION, domain)}
    menu["any"] = bool(toolbar or more or menu["undefine"] or menu["clone_url"] or menu["migrate"])
    # The toolbar's form posts where its first button does (each button has its own formaction); with no button
    # to post (Clone and Migrate are links), it is no form.
    first = (toolbar or more or [None])[0]
    menu["form_action"] = first["name"] if first else ("undefine" if menu["undefine"] else "")
    return menu
