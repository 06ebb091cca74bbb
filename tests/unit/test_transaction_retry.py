"""A transaction begun while the broker still writes the last one's markers is asked again
after TRANSACTION_RETRY_SECONDS, not aiokafka's fixed 20 ms (shared/adapters/kafka/clients.py)."""

from types import SimpleNamespace

from aiokafka.errors import ConcurrentTransactions
from aiokafka.producer.sender import AddPartitionsToTxnHandler

from shared.adapters.kafka.clients import TRANSACTION_RETRY_SECONDS


def test_a_refused_first_add_partitions_is_retried_after_our_short_wait() -> None:
    sender = SimpleNamespace(_retry_backoff=0.1, _txn_manager=SimpleNamespace(txn_partitions=set()))
    handler = AddPartitionsToTxnHandler(sender, [])
    refused = SimpleNamespace(errors=[("complaints.events", [(3, ConcurrentTransactions.errno)])])
    assert handler.handle_response(refused) == TRANSACTION_RETRY_SECONDS
    assert TRANSACTION_RETRY_SECONDS < 0.02
