<?php
// wpfleet's must-use plugin for every tenant on `local`. wpfleet writes it into its
// support directory (root's, read-only to the tenants) and each tenant's wp-config loads
// it, after defining WPFLEET_LOOPBACK:
//   ['hosts' => the tenant's own host names, 'address' => the listener's address as
//    cURL's CURLOPT_RESOLVE takes it, 'port' => its port, 'ca' => the CA certificate
//    to trust for those hosts ('' without TLS)].
// wp-config runs before WordPress has its plugin API, so the hooks go into $wp_filter
// as it stands before WordPress builds it (WP_Hook::build_preinitialized_hooks).

// WordPress's own requests to the site (Site Health's REST API and loopback checks, the
// theme and plugin editors' check after saving, HTTPS detection) reach the platform's
// listener for the tenant's own host names, whatever DNS says of them (*.localhost, a
// client's domain still pointing at the old host). Nothing else changes: every other
// host resolves as before, so no tenant reaches anything it could not connect to already.
function wpfleet_http_api_curl($handle) {
    $loopback = WPFLEET_LOOPBACK;
    $resolve = array();
    foreach ($loopback['hosts'] as $host) {
        $resolve[] = $host . ':' . $loopback['port'] . ':' . $loopback['address'];
    }
    curl_setopt($handle, CURLOPT_RESOLVE, $resolve);
}

// The platform's certificates come from wpfleet's own CA, which no public bundle has:
// trust it, instead of the bundle, for the tenant's hosts alone (cURL reads the file; its
// directory is outside open_basedir). A redirect to another host keeps it and fails
// verification, which is safe.
function wpfleet_http_request_args($args, $url) {
    if (WPFLEET_LOOPBACK['ca'] !== '' && wpfleet_is_own_https_url($url)) {
        $args['sslcertificates'] = WPFLEET_LOOPBACK['ca'];
    }
    return $args;
}

function wpfleet_is_own_https_url($url) {
    $parts = parse_url($url);
    $port = isset($parts['port']) ? (int) $parts['port'] : 443;
    return isset($parts['scheme'], $parts['host']) && strtolower($parts['scheme']) === 'https' &&
        $port === (int) WPFLEET_LOOPBACK['port'] &&
        in_array(strtolower($parts['host']), WPFLEET_LOOPBACK['hosts'], true);
}

// Core is one read-only copy that wpfleet shares between tenants and updates itself, so
// WordPress's automatic updates are off on purpose, which WordPress's "Background
// updates" check reports as critical. It stays in Site Health, as a recommendation that
// says why, so a tenant's admin is not told the site is broken. The check runs as
// WordPress runs it (asynchronously, through its REST API), only its verdict is changed.
function wpfleet_explain_background_updates($result) {
    if (is_array($result) && isset($result['status']) && $result['status'] === 'critical') {
        $result['status'] = 'recommended';
        $result['label'] = __('Background updates are off: the platform updates WordPress');
        $result['description'] = '<p>' . __('WordPress core on this platform is shared by its sites and read-only: the people who run the platform update it with wpfleet, so WordPress does not update itself.') . '</p>' . $result['description'];
    }
    return $result;
}

function wpfleet_background_updates_test() {
    return wpfleet_explain_background_updates(WP_Site_Health::get_instance()->get_test_background_updates());
}

function wpfleet_site_status_tests($tests) {
    if (isset($tests['async']['background_updates'])) {
        $tests['async']['background_updates']['async_direct_test'] = 'wpfleet_background_updates_test';
    }
    return $tests;
}

function wpfleet_rest_request_after_callbacks($response, $handler, $request) {
    if ($request->get_route() !== '/wp-site-health/v1/tests/background-updates') {
        return $response;
    }
    return wpfleet_explain_background_updates($response);
}

// wpfleet's page cache (nginx's, `page_cache` in the fleet file) says HIT or MISS in
// X-Cache, which WordPress's "Page cache" check (production only) does not know by itself.
function wpfleet_page_cache_headers($headers) {
    $headers['x-cache'] = function ($value) {
        return strpos(strtolower($value), 'hit') !== false;
    };
    return $headers;
}

function wpfleet_add_filter($hook, $callback, $accepted_args) {
    if (function_exists('add_filter')) {
        add_filter($hook, $callback, 10, $accepted_args);
        return;
    }
    $GLOBALS['wp_filter'][$hook][10][] = array('function' => $callback, 'accepted_args' => $accepted_args);
}

wpfleet_add_filter('http_api_curl', 'wpfleet_http_api_curl', 1);
wpfleet_add_filter('http_request_args', 'wpfleet_http_request_args', 2);
wpfleet_add_filter('site_status_tests', 'wpfleet_site_status_tests', 1);
wpfleet_add_filter('rest_request_after_callbacks', 'wpfleet_rest_request_after_callbacks', 3);
wpfleet_add_filter('site_status_page_cache_supported_cache_headers', 'wpfleet_page_cache_headers', 1);
