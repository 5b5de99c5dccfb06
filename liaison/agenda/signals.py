"""The agenda listens to the directory: `org` must not import the agenda (ARCHITECTURE.md),
so a dependency added or removed reaches the conflict check through Django signals."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from liaison.org.models import ServiceDependency


@receiver(post_save, sender=ServiceDependency, dispatch_uid="agenda.dependency_saved")
@receiver(post_delete, sender=ServiceDependency, dispatch_uid="agenda.dependency_deleted")
def recheck_after_dependency_change(sender, instance, raw=False, **kwargs):
    if raw:  # loaddata
        return
    from .conflicts import check_dependency

    # Inside the caller's transaction: if the dependency is rolled back, so are its conflicts.
    check_dependency(instance.depends_on_id, timezone.now())
