import time

from django.core.management.base import BaseCommand

from accounts import services as account_services
from accounts.models import Account
from common.demo import DEMO_CUSTOMER, DEMO_STAFF
from common.errors import DependencyError
from customers import demo_data, services
from customers.models import Customer


class Command(BaseCommand):
    help = (
        "Create the demo staff login and the demo customer login (with its customer and cart); "
        "running it again changes nothing that is already there."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--cart-wait",
            type=float,
            default=30.0,
            help="seconds to wait for cart_service (it may still be starting) before giving up on the cart",
        )

    def handle(self, *args, cart_wait: float, **options):
        staff = self._account(DEMO_STAFF, is_staff=True)
        reader = self._account(DEMO_CUSTOMER, is_staff=False)
        if Customer.objects.filter(account=reader).exists():
            self._report("customer already there")
            return
        fullname = reader.fullnames.first() or services.fullname_create(caller=reader, **demo_data.CUSTOMER_FULLNAME)
        address = reader.addresses.first() or services.address_create(caller=reader, **demo_data.CUSTOMER_ADDRESS)
        deadline = time.monotonic() + cart_wait
        while True:
            try:
                services.customer_create(
                    caller=staff, account_id=reader.id, fullname_id=fullname.id, address_id=address.id
                )
                break
            except DependencyError as error:
                if time.monotonic() >= deadline:
                    # Not fatal: the login works; the next start tries the customer again.
                    self.stderr.write(f"demo customer not created yet ({error.message}); it will be on the next start")
                    self._report("customer pending")
                    return
                time.sleep(1)
        self._report("customer and cart created")

    def _account(self, login: dict, *, is_staff: bool) -> Account:
        account = Account.objects.filter(username__iexact=login["username"]).first()
        if account is None:
            # Made-up addresses that no one receives mail at: verified, so the demo reader can order.
            account = account_services.account_create(**login, is_staff=is_staff, email_verified=True)
        return account

    def _report(self, customer_state: str) -> None:
        staff, customer = DEMO_STAFF, DEMO_CUSTOMER
        self.stdout.write(
            f"demo logins: staff {staff['username']} / {staff['password']}, "
            f"customer {customer['username']} / {customer['password']} ({customer_state})"
        )
