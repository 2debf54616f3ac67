"""How a person's name or address is shown to someone other than that person."""


def mask_name(name: str) -> str:
    """张三 → 张*, 张小三 → 张*三, John Smith → J*** S****."""
    name = (name or "").strip()
    if not name:
        return ""
    if " " in name:
        return " ".join(word[0] + "*" * (len(word) - 1) for word in name.split())
    if len(name) == 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_email(email: str) -> str:
    local, _, domain = (email or "").partition("@")
    if not domain:
        return mask_name(email)
    return f"{local[:1]}***@{domain}"


def display_name_masked(user) -> str:
    return mask_name(user.full_name) if user.full_name else mask_email(user.email)
