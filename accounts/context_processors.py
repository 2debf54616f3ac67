from django.conf import settings

TEXT_SIZE_COOKIE = "wallet_text_size"


def display_preferences(request):
    return {
        "large_text": request.COOKIES.get(TEXT_SIZE_COOKIE) == "large",
        "LANGUAGES": settings.LANGUAGES,
    }
