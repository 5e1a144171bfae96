"""torch.backends.cudnn: never available here; its flags are plain attributes with torch's
defaults, so that seeding helpers which set them run unchanged."""
enabled = True
benchmark = False
deterministic = False


def is_available():
    return False


def version():
    return None
