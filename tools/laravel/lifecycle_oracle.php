<?php
/*
 * Laravel's validator for every endpoint of the mock, as a long-lived process.
 *
 * One JSON object per line on stdin, one per line on stdout:
 *   {"endpoint": "cameras", "body_b64": "<raw JSON body>", "users": ["a@b.c", ...], "locale": "en"}
 *   -> {"status": 200, "input": {...}}  or  {"status": 422, "body": {"message": ..., "errors": {...}}, "input": {...}}
 *
 * `users` are the live logins `unique` and `exists` see (case-insensitively, as a MySQL
 * `_ci` column does). The body is read as Laravel reads a JSON request (json_decode, then
 * Laravel 10's TrimStrings and ConvertEmptyStringsToNull), and validated with the rules each
 * endpoint's schema in schemas/ declares, written as Laravel rule strings below.
 *
 * Built on Debian's Laravel 8.83 components (php-illuminate-*), with the Laravel 10 pieces that
 * differ for these rules put back, as ../shared/oracle/ does: the English lines of Laravel 10
 * (LARAVEL_LANG, default ../shared/oracle/lang/en/validation.php), TrimStrings' transform, the
 * `*` placeholder, the :index/:position replacements, getDisplayableValue and summarize.
 */

error_reporting(E_ALL & ~E_DEPRECATED & ~E_USER_DEPRECATED);
ini_set('display_errors', 'stderr');
require_once '/usr/share/php/Illuminate/autoload.php';

use Illuminate\Foundation\Http\Middleware\ConvertEmptyStringsToNull;
use Illuminate\Foundation\Http\Middleware\TrimStrings;
use Illuminate\Http\Request;
use Illuminate\Support\Str;
use Illuminate\Translation\ArrayLoader;
use Illuminate\Translation\Translator;
use Illuminate\Validation\PresenceVerifierInterface;
use Illuminate\Validation\Validator;

/** The Laravel 10 skeleton's TrimStrings, with Laravel 10's transform(). */
final class Trim10 extends TrimStrings
{
    protected $except = ['current_password', 'password', 'password_confirmation'];

    protected function transform($key, $value)
    {
        if (in_array($key, $this->except, true) || ! is_string($value)) {
            return $value;
        }

        return preg_replace('~^[\s\x{FEFF}\x{200B}]+|[\s\x{FEFF}\x{200B}]+$~u', '', $value) ?? trim($value);
    }
}

/** Laravel 8.83's Validator with the Laravel 10 behaviour these rules show. */
final class Validator10 extends Validator
{
    private static ?string $star = null;

    private static function star(): string
    {
        return self::$star ??= '__asterisk__'.Str::random();
    }

    public function parseData(array $data)
    {
        $out = [];
        foreach ($data as $key => $value) {
            $out[str_replace(['.', '*'], [$this->dotPlaceholder, self::star()], $key)] =
                is_array($value) ? $this->parseData($value) : $value;
        }

        return $out;
    }

    protected function replacePlaceholderInString(string $value)
    {
        return str_replace([$this->dotPlaceholder, self::star()], ['.', '*'], $value);
    }

    public function addFailure($attribute, $rule, $parameters = [])
    {
        if (! $this->messages) {
            $this->passes();
        }
        $raw = $attribute;
        $attribute = $this->replacePlaceholderInString($attribute);
        if (in_array($rule, $this->excludeRules)) {
            return $this->excludeAttribute($attribute);
        }
        $this->messages->add($attribute, $this->makeReplacements($this->getMessage($raw, $rule), $attribute, $rule, $parameters));
        $this->failedRules[$attribute][$rule] = $parameters;
    }

    public function makeReplacements($message, $attribute, $rule, $parameters)
    {
        $message = $this->replaceAttributePlaceholder($message, $this->getDisplayableAttribute($attribute));
        $message = $this->replaceInputPlaceholder($message, $attribute);
        foreach (['index' => fn ($n) => $n, 'position' => fn ($n) => $n + 1] as $placeholder => $modifier) {
            $numeric = 1;
            foreach (explode('.', $attribute) as $segment) {
                if (! is_numeric($segment)) {
                    continue;
                }
                if ($numeric === 1) {
                    $message = str_ireplace(':'.$placeholder, $modifier((int) $segment), $message);
                }
                $word = [1 => 'first', 2 => 'second', 3 => 'third', 4 => 'fourth', 5 => 'fifth', 6 => 'sixth',
                    7 => 'seventh', 8 => 'eighth', 9 => 'ninth', 10 => 'tenth'][$numeric] ?? 'other';
                $message = str_ireplace(":$word-$placeholder", $modifier((int) $segment), $message);
                $numeric++;
            }
        }
        $snake = Str::snake($rule);
        if (isset($this->replacers[$snake])) {
            return $this->callReplacer($message, $attribute, $snake, $parameters, $this);
        }
        if (method_exists($this, $replacer = "replace{$rule}")) {
            return $this->$replacer($message, $attribute, $rule, $parameters);
        }

        return $message;
    }

    public function getDisplayableValue($attribute, $value)
    {
        if (is_array($value)) {
            return 'array';
        }
        if (is_bool($value)) {
            return $value ? 'true' : 'false';
        }

        return is_null($value) ? 'empty' : (string) $value;
    }
}

/** `unique` and `exists` on a `users.login` column with a case-insensitive collation. */
final class Logins implements PresenceVerifierInterface
{
    public array $logins = [];

    public function getCount($collection, $column, $value, $excludeId = null, $idColumn = null, array $extra = [])
    {
        if (is_array($value) || is_null($value)) {
            return 0;
        }
        $value = mb_strtolower((string) $value, 'UTF-8');
        $n = 0;
        foreach ($this->logins as $login) {
            $n += mb_strtolower($login, 'UTF-8') === $value ? 1 : 0;
        }

        return $n;
    }

    public function getMultiCount($collection, $column, array $values, array $extra = [])
    {
        return 0;
    }
}

/** The rules each endpoint's schema declares (schemas/*.schema.json), as Laravel writes them. */
function rules(string $endpoint): array
{
    $exists = 'required|string|max:255|exists:users,login';
    $props = [
        'billing_info' => 'nullable|array',
        'billing_info.billing_id' => 'nullable|string',
        'billing_info.billing_extra' => 'nullable|array',
        'billing_properties' => 'nullable|array',
        'billing_properties.*.type' => 'required|string|max:255',
        'billing_properties.*.value' => 'required|string|max:255',
    ];
    $in = 'in:'.implode(',', [
        'archives-show', 'archives-download', 'archives-preview-download', 'layouts-store',
        'layouts-destroy', 'layouts-rename', 'layouts-cameras-attach', 'layouts-cameras-detach',
        'groups-index', 'groups-store', 'groups-destroy', 'groups-rename', 'groups-cameras-attach',
        'groups-cameras-detach', 'ptz', 'camera-events-store', 'camera-events-index', 'logins-store',
        'users-index', 'users-store', 'users-show', 'users-update', 'users-destroy',
        'users-change-password', 'marks-index', 'marks-store', 'marks-destroy', 'marks-update',
        'intercom-index', 'analytic', 'bridges',
    ]);
    $levels = [
        'analytic_l1' => 'nullable|integer|min:0',
        'analytic_l2' => 'nullable|integer|min:0',
        'analytic_l3' => 'nullable|integer|min:0',
    ];
    switch ($endpoint) {
        case 'create':
            return ['login' => 'required|string|max:255|unique:users,login', 'password' => 'required|string',
                'type' => 'required|string|max:255', 'status' => 'required|string|max:255'] + $props;
        case 'update':
            return ['login' => $exists, 'password' => 'string', 'status' => 'string|max:255'] + $props + [
                'permissions_to_attach' => 'nullable|array', 'permissions_to_attach.*' => 'string|'.$in,
                'permissions_to_detach' => 'nullable|array', 'permissions_to_detach.*' => 'string|'.$in,
            ];
        case 'delete':
            return ['login' => $exists];
        case 'licenses':
        case 'licenses-check':
            return ['login' => $exists] + $levels;
        case 'cameras':
            return ['login' => $exists,
                'camera_ids' => 'nullable|array', 'camera_ids.*' => 'integer|min:1',
                'camera_external_ids' => 'nullable|array', 'camera_external_ids.*' => 'int_or_string|max:255',
                'public_group_external_ids' => 'nullable|array', 'public_group_external_ids.*' => 'int_or_string|max:255',
                'private_group_external_ids' => 'nullable|array',
                'private_group_external_ids.*.key' => 'required|string|max:255',
                'private_group_external_ids.*.group_external_id' => 'required|int_or_string|max:255',
            ];
        case 'intercoms':
            return ['login' => $exists, 'sync' => 'nullable|array',
                'sync.*.intercom_external_id' => 'required_without:sync.*.intercom_id|int_or_string|max:255',
                'sync.*.intercom_id' => 'integer|min:1',
                'sync.*.flat' => 'required|integer',
            ];
    }
    throw new InvalidArgumentException("unknown endpoint $endpoint");
}

function summarize(Validator $v): string
{
    $messages = $v->errors()->all();
    if (! $messages) {
        return $v->getTranslator()->get('The given data was invalid.');
    }
    $first = array_shift($messages);
    $more = count($messages);

    return $more ? $first.' '.$v->getTranslator()->get('(and :count more '.($more === 1 ? 'error' : 'errors').')', ['count' => $more]) : $first;
}

$lang = getenv('LARAVEL_LANG') ?: __DIR__.'/../../../shared/oracle/lang/en/validation.php';
$lines = require $lang;
// The schemas' `type: [integer, string]`: no Laravel rule says it, the mock words it as `integer`.
$lines['int_or_string'] = $lines['integer'];
$loader = new ArrayLoader;
$loader->addMessages('en', 'validation', $lines);
$translator = new Translator($loader, 'en');
$logins = new Logins;

while (($line = fgets(STDIN)) !== false) {
    if (trim($line) === '') {
        continue;
    }
    $req = json_decode($line, true);
    try {
        $logins->logins = $req['users'] ?? [];
        $request = Request::create('/', 'POST', [], [], [], ['CONTENT_TYPE' => 'application/json', 'HTTP_ACCEPT' => 'application/json'],
            base64_decode($req['body_b64'] ?? ''));
        (new Trim10)->handle($request, fn ($r) => $r);
        (new ConvertEmptyStringsToNull)->handle($request, fn ($r) => $r);
        $data = $request->all();
        $v = new Validator10($translator, $data, rules($req['endpoint']));
        $v->setPresenceVerifier($logins);
        $v->addExtension('int_or_string', fn ($attribute, $value) => is_int($value) || is_string($value));
        $out = $v->fails()
            ? ['status' => 422, 'body' => ['message' => summarize($v), 'errors' => $v->errors()->messages()], 'input' => $data]
            : ['status' => 200, 'input' => $data];
    } catch (Throwable $e) {
        $out = ['status' => 500, 'exception' => get_class($e).': '.$e->getMessage()];
    }
    echo json_encode($out, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE | JSON_PARTIAL_OUTPUT_ON_ERROR), "\n";
}
