"""Render a conversation to a raw prompt with a Hugging Face tokenizer's chat template.

Providers with a ``tokenizer_id`` field (``OllamaLLM``, ``InferenceEndpointsLLM``)
send a prompt they formatted themselves to the server's raw text-generation
endpoint instead of its chat endpoint; this module holds that one shared step,
Magpie's pre-query template included. The local engines (``TransformersLLM``,
``vLLM``, ``LlamaCppLLM`` with a ``tokenizer_id``, ``MlxLLM``) render their prompts with it too.

A chat template is Jinja code that comes from a model folder or a pipeline file
(``TransformersLLM.chat_template``). We never render one ourselves: transformers'
``apply_chat_template`` and llama-cpp-python's ``Jinja2ChatFormatter`` (the GGUF's own
template) both render in jinja2's ``ImmutableSandboxedEnvironment``, so a template
that reaches for Python internals raises ``SecurityError`` and fails its row, with
nothing run (``tests/unit/security/test_templates.py`` checks both). A template we
render is compiled by ``distilabel.utils.template``, in the same sandbox.
"""

from typing import TYPE_CHECKING, Any, ClassVar, Optional, Union

from distilabel.errors import DistilabelUserError
from distilabel.models.local_files import local_only_kwargs
from distilabel.utils.imports import require

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

    from distilabel.models.mixins.magpie import MagpieChatTemplateMixin
    from distilabel.typing import StandardInput


def load_tokenizer(tokenizer_id: str, user: str) -> "PreTrainedTokenizerBase":
    """Load the tokenizer ``tokenizer_id`` (a Hub repo id or a local directory).

    Raises:
        DistilabelUserError: the tokenizer has no chat template to format conversations.
    """
    transformers = require("transformers", "hf-transformers", user)
    tokenizer = transformers.AutoTokenizer.from_pretrained(tokenizer_id, **local_only_kwargs(tokenizer_id))
    if not getattr(tokenizer, "chat_template", None):
        raise DistilabelUserError(
            f"{user}: the tokenizer {tokenizer_id!r} has no chat template, so conversations cannot be"
            " formatted into prompts. Use a tokenizer with a `chat_template`, or leave `tokenizer_id`"
            " unset to use the server's chat endpoint."
        )
    return tokenizer


def render_prompt(
    tokenizer: Optional["PreTrainedTokenizerBase"],
    conversation: Any,
    magpie: Optional["MagpieChatTemplateMixin"] = None,
    join_without_template: bool = False,
) -> str:
    """The prompt for ``conversation``: a plain string is sent as it is.

    With Magpie on (``magpie.use_magpie_template``) and a conversation that does not
    end with the user, the prompt ends with the pre-query template instead of the
    assistant's generation prompt, so the model writes the user's next message.

    With ``join_without_template``, a tokenizer that has no chat template (a base
    model's) gets the messages' contents joined by blank lines, instead of raising.
    """
    if isinstance(conversation, str):
        return conversation
    if tokenizer is None:
        raise DistilabelUserError("A conversation needs a tokenizer (`tokenizer_id`) to become a raw prompt.")
    if join_without_template and getattr(tokenizer, "chat_template", None) is None:
        return "\n\n".join(str(message["content"]) for message in conversation)
    ends_with_user = bool(conversation) and conversation[-1].get("role") == "user"
    pre_query = magpie is not None and magpie.use_magpie_template and not ends_with_user
    text = (
        tokenizer.apply_chat_template(conversation, tokenize=False, add_generation_prompt=not pre_query)
        if conversation
        else ""
    )
    return magpie.apply_magpie_pre_query_template(text, conversation) if magpie is not None else text


class TokenizerChatTemplateMixin:
    """``prepare_input`` for an LLM that renders prompts with the tokenizer it loaded.

    The LLM keeps its tokenizer as ``_tokenizer`` and is a ``MagpieChatTemplateMixin``
    (its Magpie settings apply). ``_join_without_template`` is ``render_prompt``'s
    ``join_without_template``.
    """

    _join_without_template: ClassVar[bool] = False

    def prepare_input(self, input: Union["StandardInput", str]) -> str:
        """Render a conversation with the tokenizer's chat template (plus Magpie's pre-query template)."""
        return render_prompt(
            self._tokenizer,  # type: ignore[attr-defined]
            input,
            self,  # type: ignore[arg-type]
            join_without_template=self._join_without_template,
        )


def check_magpie_tokenizer(llm: Any) -> None:
    """Magpie formats prompts itself, so it needs ``tokenizer_id``."""
    if getattr(llm, "use_magpie_template", False) and getattr(llm, "tokenizer_id", None) is None:
        raise DistilabelUserError(
            f"{type(llm).__name__}: use_magpie_template=True needs `tokenizer_id`, the tokenizer whose chat"
            " template formats the prompt the pre-query template is appended to."
        )


def count_prompt_tokens(tokenizer: Optional["PreTrainedTokenizerBase"], prompt: str) -> int:
    """How many tokens ``prompt`` takes (0 without a tokenizer)."""
    if tokenizer is None:
        return 0
    return len(tokenizer.encode(prompt, add_special_tokens=False))
